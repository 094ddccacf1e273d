"""Demo competitions: the city union's 2026 series of ten trades, one in every state of
the lifecycle, and a district union's own competition (层层办赛).

`ctx.data["competitions"]` maps these short names to the Competition (state in
brackets; later apps add what each state implies: entries, marks, exam sessions,
results, certificates):

  eldercare    养老护理员, class 2, three components (theory, practical, oral)  [draft]
  electrician  电工, class 1, district qualifiers (top 3 of each district) feeding
               the city final                                                [registration_open]
  rider        网约配送员, other class, approved by the host only, 10 per unit,
               students welcome                                              [registration_open]
  fitter       装配钳工, class 2                                              [registration_closed]
  turner       车工, class 1, tasks at level 2 (技师)                          [in_progress]
  welder       焊工, class 1, district qualifiers feeding the city final, a
               marking scheme of M, J (with descriptors) and S aspects for the
               practical, organization award                                 [scoring]
  robot        工业机器人系统运维员, teams of 3 scored by the mean              [publicity]
  auto         汽车维修工, class 2, theory 20% and practical 80%                [final]
  courier      快递员, class 2, awards by rank ranges                          [final]
  cook         中式烹调师, WorldSkills scale with medals                       [archived]
  xuhui        电工 (徐汇区), a district competition of 徐汇区总工会 with
               street qualifiers                                             [registration_open]

Dates are set around the day the demo is loaded, so registration is open now where it
should be. The steps of each competition's lifecycle are recorded with those dates.
Staff accounts get their competition roles: judges, the chief judge and the arbitrator
on welder and robot; the invigilator and the grader on turner and welder.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jingsai.accounts.models import Role
from jingsai.accounts.services import grant_role
from jingsai.core import audit

from .lifecycle import TRANSITIONS
from .models import Competition, Status, StatusChange
from .services import load_competition

CHINA_TIME = dt.timezone(dt.timedelta(hours=8))
SERIES = {"code": "2026-SH", "name": "2026年上海市职工职业技能系列竞赛", "year": 2026}
XUHUI_SERIES = {"code": "2026-XH", "name": "2026年徐汇区职工技能竞赛", "year": 2026}

THEORY_PRACTICAL = [
    {"key": "theory", "name": "理论知识", "max": 100, "weight": "0.3", "pass": 60},
    {"key": "practical", "name": "操作技能", "max": 100, "weight": "0.7", "pass": 60},
]
CITY_AWARDS = {"require": "all_pass", "bands": [
    {"name": "一等奖", "quota_ratio": "0.1", "min": 1},
    {"name": "二等奖", "quota_ratio": "0.2"},
    {"name": "三等奖", "quota_ratio": "0.3"},
]}
CITY_BENEFITS = [
    {"promote": {"to": 2, "cap": 1}, "rank_range": [1, 5], "requires": ["worker_status", "all_pass"]},
    {"promote": {"to": 3, "cap": 2}, "rank_range": [6, 20], "requires": ["worker_status", "all_pass"]},
    {"title": {"name": "上海市技术能手"}, "rank_range": [1, 5], "requires": ["worker_status", "all_pass"]},
    {"recommend": {"name": "上海市五一劳动奖章"}, "rank_range": [1, 3], "requires": ["worker_status"]},
]
DISTRICT_QUALIFIERS = [
    {"key": "qualifier", "name": "区级选拔赛", "scope": "district", "advance": {"top": 3}},
    {"key": "final", "name": "市级决赛"},
]
J = ["未达到基本要求", "基本达到要求", "达到要求，个别细节欠缺", "完全达到要求，工艺美观"]
WELDER_SCHEME = {
    "component": "practical",
    "criteria": [
        {"code": "A", "name": "焊接质量", "aspects": [
            {"code": "A1", "type": "M", "name": "焊缝宽度符合图样", "max": 10, "binary": True},
            {"code": "A2", "type": "M", "name": "焊缝余高", "max": 10,
             "description": "0–3 mm 得满分，每超 0.5 mm 扣 2 分"},
            {"code": "A3", "type": "J", "name": "外观成形", "max": 15, "descriptors": J},
            {"code": "A4", "type": "M", "name": "射线探伤评级", "max": 25,
             "description": "Ⅰ级 25 分，Ⅱ级 15 分，Ⅲ级及以下 0 分"},
        ]},
        {"code": "B", "name": "工艺与操作", "sub_criteria": [
            {"code": "B1", "name": "工艺执行", "aspects": [
                {"code": "B11", "type": "S", "name": "焊接工艺规范", "max": 15},
                {"code": "B12", "type": "J", "name": "操作熟练程度", "max": 10, "descriptors": J},
            ]},
            {"code": "B2", "name": "安全文明生产", "aspects": [
                {"code": "B21", "type": "M", "name": "安全防护用品穿戴", "max": 10, "binary": True},
                {"code": "B22", "type": "S", "name": "现场整理", "max": 5},
            ]},
        ]},
    ],
}

# short name: (code, name, occupation, status, schedule offsets in days from today
# (registration opens, closes, starts, ends), rules beyond the city defaults)
TRADES = {
    "eldercare": ("2026-SH-ELDERCARE", "养老护理员", "4-10-01-05", Status.DRAFT, (10, 30, 40, 41), {
        "components": [
            {"key": "theory", "name": "理论知识", "max": 100, "weight": "0.3", "pass": 60},
            {"key": "practical", "name": "操作技能", "max": 100, "weight": "0.6", "pass": 60},
            {"key": "oral", "name": "综合评价", "max": 100, "weight": "0.1"},
        ],
        "ranking": {"tie_breakers": ["component:practical:desc", "component:oral:desc"]},
        "eligibility": {"min_age": 18, "max_age": 60, "worker_status_required": True, "min_level": 4},
    }),
    "electrician": ("2026-SH-ELECTRICIAN", "电工", "6-31-01-03", Status.REGISTRATION_OPEN, (-10, 20, 35, 50), {
        "class": "class1", "stages": DISTRICT_QUALIFIERS, "unit_quota": 5,
    }),
    "rider": ("2026-SH-RIDER", "网约配送员", "4-02-07-10", Status.REGISTRATION_OPEN, (-5, 25, 32, 32), {
        "class": "other", "standard_level": 4, "approval": "host_only", "unit_quota": 10,
        "components": [
            {"key": "theory", "name": "安全与服务知识", "max": 100, "weight": "0.4", "pass": 60},
            {"key": "practical", "name": "配送实操", "max": 100, "weight": "0.6", "pass": 60},
        ],
        "eligibility": {"min_age": 18, "max_age": 55},
        "benefits": [{"promote": {"step": 1, "cap": 3}, "rank_range": [1, 10], "requires": ["all_pass"]}],
    }),
    "fitter": ("2026-SH-FITTER", "装配钳工", "6-20-01-01", Status.REGISTRATION_CLOSED, (-40, -5, 7, 8), {}),
    "turner": ("2026-SH-TURNER", "车工", "6-18-01-01", Status.IN_PROGRESS, (-50, -20, -2, 1), {
        "class": "class1", "standard_level": 2,
        "benefits": [
            {"promote": {"to": 1, "cap": 1}, "rank_range": [1, 3], "requires": ["worker_status", "all_pass"]},
            {"title": {"name": "上海市技术能手"}, "rank_range": [1, 5], "requires": ["worker_status", "all_pass"]},
        ],
    }),
    "welder": ("2026-SH-WELDER", "焊工", "6-18-02-04", Status.SCORING, (-70, -40, -14, -3), {
        "class": "class1", "stages": DISTRICT_QUALIFIERS, "marking_scheme": WELDER_SCHEME,
        "organization_award": {"best_n": 3},
    }),
    "robot": ("2026-SH-ROBOT", "工业机器人系统运维员", "6-31-07-01", Status.PUBLICITY, (-80, -50, -25, -20), {
        "mode": "team", "team_size": 3, "team_score": "mean",
        "awards": {"require": "all_pass", "bands": [
            {"name": "一等奖", "quota_count": 1}, {"name": "二等奖", "quota_count": 2},
            {"name": "三等奖", "quota_count": 3}]},
        "benefits": [{"promote": {"to": 3, "cap": 2}, "rank_range": [1, 3], "requires": ["worker_status", "all_pass"]}],
    }),
    "auto": ("2026-SH-AUTO", "汽车维修工", "4-12-01-01", Status.FINAL, (-120, -90, -60, -58), {
        "components": [
            {"key": "theory", "name": "理论知识", "max": 100, "weight": "0.2", "pass": 60},
            {"key": "practical", "name": "操作技能", "max": 100, "weight": "0.8", "pass": 60},
        ],
    }),
    "courier": ("2026-SH-COURIER", "快递员", "4-02-07-02", Status.FINAL, (-110, -85, -50, -50), {
        "awards": {"require": "all_pass", "bands": [
            {"name": "一等奖", "rank_range": [1, 3]}, {"name": "二等奖", "rank_range": [4, 10]},
            {"name": "三等奖", "rank_range": [11, 20]}]},
        "benefits": [
            {"promote": {"to": 3, "cap": 3}, "rank_range": [1, 10], "requires": ["all_pass"]},
            {"recommend": {"name": "上海市五一劳动奖章"}, "rank_range": [1, 1], "requires": ["worker_status"]},
        ],
    }),
    "cook": ("2026-SH-COOK", "中式烹调师", "4-03-02-01", Status.ARCHIVED, (-200, -170, -150, -149), {
        "components": [
            {"key": "theory", "name": "理论知识", "max": 100, "weight": "0.2", "pass": 60},
            {"key": "practical", "name": "烹饪实操", "max": 100, "weight": "0.8", "pass": 60},
        ],
        "scale": "worldskills",
        "awards": {"require": "none", "bands": [
            {"name": "金牌", "rank_range": [1, 1]}, {"name": "银牌", "rank_range": [2, 2]},
            {"name": "铜牌", "rank_range": [3, 3]}, {"name": "优胜奖", "scale_at_least": 700}]},
        "benefits": [{"promote": {"to": 3, "cap": 2}, "rank_range": [1, 10], "requires": ["worker_status"]}],
    }),
}


def _when(today, days, hour):
    return dt.datetime.combine(today + dt.timedelta(days=days), dt.time(hour), tzinfo=CHINA_TIME)


def _schedule(today, offsets):
    opens, closes, starts, ends = offsets
    return {"registration_opens": _when(today, opens, 9).isoformat(),
            "registration_closes": _when(today, closes, 17).isoformat(),
            "starts": _when(today, starts, 8).isoformat(), "ends": _when(today, ends, 17).isoformat()}


def _city_spec(code, name, occupation, schedule, rules):
    return {
        "code": code, "name": name, "series": SERIES, "host": "SH-UNION", "organizer": "SH-HRSS",
        "occupation": occupation, "level": "city", "class": "class2", "standard_level": 3,
        "eligibility": {"min_age": 16, "max_age": 60, "worker_status_required": True},
        "components": THEORY_PRACTICAL,
        "ranking": {"tie_breakers": ["component:practical:desc", "time:practical:asc", "component:theory:desc"]},
        "awards": CITY_AWARDS, "benefits": CITY_BENEFITS, "schedule": schedule, **rules,
    }


def _path_to(status):
    """The forward steps from draft to `status`."""
    path, current = [], Status.DRAFT
    while current != status:
        current = TRANSITIONS[current][0]
        path.append(current)
    return path


def _step_times(competition, status, today):
    """When each step happened: registration opened and closed on schedule, the
    competition started on its first day, scoring began as it ended, publicity a few
    days later (two days ago for one still in publicity), the results became final
    when publicity was over."""
    publicity_days = competition.spec["publicity_days"]
    scoring = competition.ends_at
    publicity = _when(today, -2, 10) if status == Status.PUBLICITY else scoring + dt.timedelta(days=3)
    return {
        Status.REGISTRATION_OPEN: competition.registration_opens,
        Status.REGISTRATION_CLOSED: competition.registration_closes,
        Status.IN_PROGRESS: competition.starts_at,
        Status.SCORING: scoring,
        Status.PUBLICITY: publicity,
        Status.FINAL: publicity + dt.timedelta(days=publicity_days, hours=1),
        Status.ARCHIVED: publicity + dt.timedelta(days=publicity_days + 30),
    }


@transaction.atomic
def load(ctx):
    actor = ctx.actor
    today = timezone.localdate()
    specs = {short: (_city_spec(code, name, occupation, _schedule(today, offsets), rules), status)
             for short, (code, name, occupation, status, offsets, rules) in TRADES.items()}
    specs["xuhui"] = ({
        "code": "2026-XH-ELECTRICIAN", "name": "电工（徐汇区）", "series": XUHUI_SERIES, "host": "SH-D02",
        "occupation": "6-31-01-03", "level": "district", "class": "other", "standard_level": 4,
        "eligibility": {"min_age": 16, "max_age": 60},
        "components": THEORY_PRACTICAL,
        "ranking": {"tie_breakers": ["component:practical:desc", "component:theory:desc"]},
        "awards": {"require": "all_pass", "bands": [
            {"name": "一等奖", "quota_count": 1}, {"name": "二等奖", "quota_count": 2},
            {"name": "三等奖", "quota_count": 3}, {"name": "优胜奖", "quota_ratio": "0.2"}]},
        "benefits": [{"title": {"name": "徐汇区技术能手"}, "rank_range": [1, 3], "requires": ["worker_status"]}],
        "stages": [{"key": "street", "name": "街道初赛", "scope": "street", "advance": {"top": 5}},
                   {"key": "final", "name": "区级决赛"}],
        "schedule": _schedule(today, (-7, 14, 21, 28)), "unit_quota": 3,
    }, Status.REGISTRATION_OPEN)

    competitions, changes = {}, []
    for short, (spec, status) in specs.items():
        competition = load_competition(actor, spec, check=False)
        steps = _path_to(status)
        if steps:
            times = _step_times(competition, status, today)
            previous = Status.DRAFT
            for step in steps:
                changes.append(StatusChange(competition=competition, from_status=previous, to_status=step,
                                            at=times[step], actor=None, actor_label=_("demo data")))
                audit.record(actor, "competitions.transition", competition, reason=_("demo data"),
                             changes={"status": [previous, step]}, data={"at": times[step].isoformat()})
                previous = step
            competition.status = status
        competitions[short] = competition
    StatusChange.objects.bulk_create(changes)
    Competition.objects.bulk_update(list(competitions.values()), ["status"])

    staff = ctx.data["staff"]
    roles = [
        (("judge1", "judge2", "judge3"), Role.JUDGE, ("welder", "robot")),
        (("chief-judge",), Role.CHIEF_JUDGE, ("welder", "robot")),
        (("arbitrator",), Role.ARBITRATOR, ("welder", "robot")),
        (("invigilator",), Role.INVIGILATOR, ("turner", "welder")),
        (("grader",), Role.GRADER, ("turner", "welder")),
    ]
    for usernames, role, shorts in roles:
        names = "、".join(competitions[s].name for s in shorts)
        for username in usernames:
            for short in shorts:
                grant_role(actor, staff[username], role, competition=competitions[short], check=False)
            ctx.login(str(Role(role).label), username, names)
    ctx.data["competitions"] = competitions
    ctx.say(f"  competitions: {len(competitions)}")
