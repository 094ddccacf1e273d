"""The rules in plain words, as an organizer says them."""

import pytest
from django.utils import translation

from jingsai.competitions.summary import describe
from tests.competitions.test_spec import BASE, PUBLISHED_FIXED


def summary(spec, language="zh-hans"):
    with translation.override(language):
        return dict(describe(spec))


def test_the_published_example_reads_like_an_organizer_would_say_it():
    lines = summary(PUBLISHED_FIXED)
    assert lines["竞赛形式"] == "市级赛、二类竞赛、个人赛、按三级/高级工标准命题。"
    assert lines["总成绩"] == "理论知识 30%、操作技能 70%，各60分及格。总成绩按权重折算为百分制，保留2位小数。"
    assert lines["同分处理"] == ("总成绩相同时依次比较：操作技能得分高者在前、操作技能用时少者在前、"
                               "理论知识得分高者在前；仍相同者名次并列。")
    assert lines["奖项设置"] == "一等奖前10%（至少1名）；二等奖其后20%；三等奖其后30%。各项均及格方可获奖。"
    assert lines["晋级与荣誉"].startswith(
        "前5名晋升二级/技师（已具该等级者晋升一级/高级技师）（须具有职工身份、各项及格）；"
        "第6至20名晋升三级/高级工（已具该等级者晋升二级/技师）")
    assert "前3名推荐申报五一劳动奖章（须具有职工身份）" in lines["晋级与荣誉"]
    assert lines["晋级与荣誉"].endswith("同一人每年只晋升一次。")
    assert lines["赛程"] == "区级选拔赛按区分赛区，每区前3名晋级市级决赛。名次、奖项和晋级待遇在各赛区内分别确定。"
    assert lines["参赛条件"] == "比赛当日年满16周岁、不超过60周岁。"
    assert lines["报名与成绩"] == "报名由所在单位初审、主办单位终审。成绩公示5天后定稿。成绩公布后2小时内可提出申诉。"
    assert lines["评分"] == "操作技能按评分标准评分：1个评分模块、3个评分项（测量1项、评价1项、打分1项）。"


def spec(**changes):
    raw = {**BASE, **changes}
    return raw


@pytest.mark.parametrize(("changes", "topic", "expected"), [
    ({"components": [{"key": "theory", "name": "理论", "max": 100, "weight": "0.4", "pass": 60},
                     {"key": "practical", "name": "实操", "max": 50, "weight": "0.6", "pass": 36}]},
     "总成绩", "理论 40%、实操 60%（满分50分），理论60分及格、实操36分及格。总成绩按权重折算为百分制，保留2位小数。"),
    ({"components": [{"key": "practical", "name": "实操", "max": 100, "weight": 1}], "rounding": {"places": 0}},
     "总成绩", "实操 100%。总成绩按权重折算为百分制，取整数。"),
    ({"awards": {"require": "none", "bands": [{"name": "金牌", "rank_range": [1, 1]},
                                             {"name": "优胜奖", "rank_range": [4, None]}]}},
     "奖项设置", "金牌第1名；优胜奖第4名及以后。"),
    ({"scale": "worldskills", "awards": {"bands": [{"name": "优胜奖", "scale_at_least": 700}]}},
     "奖项设置", "优胜奖标准分700分及以上。另按世界技能大赛方法换算标准分（中位数为700分）。"),
    ({"awards": {"bands": [{"name": "一等奖", "quota_count": 1}, {"name": "二等奖", "top_fraction": 0.5}]}},
     "奖项设置", "一等奖前1名；二等奖名次在前50%以内。"),
    ({"benefits": [{"promote": {"step": 1, "cap": 3}, "rank_range": [1, 10]}]},
     "晋级与荣誉", "前10名晋升一级职业技能等级（最高至三级/高级工）。同一人每年只晋升一次。"),
    ({"benefits": [{"promote": {"to": 3, "cap": 3}, "rank_range": [2, 2], "requires": ["award"]}]},
     "晋级与荣誉", "第2名晋升三级/高级工（已具该等级者不再晋升）（须获得奖项）。同一人每年只晋升一次。"),
    ({"stages": [{"key": "q", "name": "初赛", "advance": {"min_total": 80}}, {"key": "f", "name": "决赛"}]},
     "赛程", "初赛总成绩不低于80分者晋级决赛。"),
    ({"stages": [{"key": "q", "name": "初赛", "scope": "street", "advance": {"top": 2, "min_total": 60}},
                 {"key": "f", "name": "决赛", "scope": "district"}]},
     "赛程", "初赛按街道分赛区，每街道前2名且总成绩不低于60分晋级决赛；决赛按区分赛区进行。"
     "名次、奖项和晋级待遇在各赛区内分别确定。"),
    ({"eligibility": {"worker_status_required": True, "min_level": 3}},
     "参赛条件", "限职工参赛（学生不可报名）、须具备三级/高级工及以上职业技能等级。"),
    ({}, "参赛条件", "不限年龄、身份和职业技能等级。"),
    ({"approval": "host_only", "unit_quota": 3, "publicity_days": 7, "appeal_window_minutes": 2880,
      "organization_award": {"best_n": 3}},
     "报名与成绩", "报名由主办单位审核。每个单位限报3人。成绩公示7天后定稿。成绩公布后2天内可提出申诉。"
     "组织奖按各单位最好的3个成绩评定。"),
    ({"mode": "team", "team_size": 3, "team_score": "mean", "standard_level": None},
     "竞赛形式", "市级赛、二类竞赛、团体赛（每队3人，团队成绩取队员总成绩平均值）。"),
])
def test_each_kind_of_rule_in_words(changes, topic, expected):
    assert summary(spec(**changes))[topic] == expected


def test_no_benefits_and_one_round_say_nothing():
    lines = summary(spec())
    assert "晋级与荣誉" not in lines and "赛程" not in lines and "评分" not in lines
    assert lines["奖项设置"] == "未设奖项。"
    assert lines["同分处理"] == "总成绩相同者名次并列。"


def test_english_reads_as_english():
    lines = summary(PUBLISHED_FIXED, "en")
    assert lines["Total score"].startswith("理论知识 30%, 操作技能 70%, each passes at 60. The total")
    assert lines["Awards given"].startswith("一等奖: the top 10% (at least 1); 二等奖: the next 20%")
