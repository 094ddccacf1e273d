"""The organizers' pages: the rule editor (valid and invalid, every problem listed next to
its field, frozen rules), YAML upload and download, the lifecycle buttons and timeline,
lists and scopes, series, dashboard and menu, the public page."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jingsai.accounts.models import Role
from jingsai.competitions import editor, services
from jingsai.competitions.models import Competition, Status
from jingsai.competitions.spec import load_spec
from jingsai.core.models import AuditRecord
from tests import factories
from tests.competitions.factories import competition, spec
from tests.competitions.test_spec import PUBLISHED_FIXED

pytestmark = pytest.mark.django_db


@pytest.fixture
def orgs():
    return factories.tree()


@pytest.fixture
def organizer(orgs, client):
    user = factories.user("district", role=Role.ORGANIZER, org=orgs["A"])
    client.force_login(user)
    return user


def form_data(state, **changes):
    """What the page posts for an editor state."""
    data = dict(state["fields"])
    for section in editor.SECTIONS:
        for i, row in enumerate(state[section]):
            for column, value in row.items():
                data[f"{section}-{i}-{column}"] = value
    data.update(changes)
    return {k: v for k, v in data.items() if v not in ("", [])}


def text(response):
    return response.content.decode()


def problems_at(response):
    """{field: [messages]} shown next to the fields."""
    found = {}
    for field, message in re.findall(r'data-problem-for="([^"]+)">([^<]+)<', text(response)):
        found.setdefault(field, []).append(message)
    return found


# ---- The editor's form and the spec -------------------------------------------------------

def test_the_form_gives_back_the_spec_it_shows():
    from django.http import QueryDict

    for source in (PUBLISHED_FIXED, spec("C-1", _fake_host())):
        state = editor.state_from_spec(source)
        query = QueryDict(mutable=True)
        for key, value in form_data(state).items():
            query.setlist(key, value if isinstance(value, list) else [value])
        raw, problems = editor.spec_from_state(editor.state_from_post(query))
        assert problems == [] and services.rules_diff(source, raw) == {}


def _fake_host():
    class Host:
        code = "H-1"
        name = "主办单位"

    return Host()


def test_percent_and_dates_are_written_the_organizers_way():
    state = editor.state_from_spec(PUBLISHED_FIXED)
    assert [c["weight"] for c in state["components"]] == ["30", "70"]
    assert state["bands"][0] == {"name": "一等奖", "kind": "quota_ratio", "value": "10", "last": "", "min": "1"}
    assert state["benefits"][0]["kind"] == "promote_to" and state["benefits"][0]["requires"] == [
        "worker_status", "all_pass"]
    assert state["stages"][0] == {"key": "qualifier", "name": "区级选拔赛", "scope": "district", "top": "3",
                                  "min_total": ""}
    assert "A3" in state["fields"]["marking_scheme"]
    state["fields"]["registration_opens"] = "2026-05-01T00:00"
    state["fields"]["registration_closes"] = "2026-05-31T17:30"
    raw, _problems = editor.spec_from_state(state)
    assert raw["schedule"] == {"registration_opens": "2026-05-01",
                               "registration_closes": "2026-05-31T17:30:00+08:00"}


def test_problem_paths_name_the_fields():
    assert editor.field_for("components[1].weight") == "components-1-weight"
    assert editor.field_for("awards.bands[2].quota_ratio") == "bands-2-value"
    assert editor.field_for("awards.bands[0].rank_range[1]") == "bands-0-last"
    assert editor.field_for("benefits[0].promote.to") == "benefits-0-level"
    assert editor.field_for("stages[1].advance") == "stages-1-top"
    assert editor.field_for("marking_scheme.criteria[0].aspects[1].max") == "marking_scheme"
    assert editor.field_for("series.year") == "series_year"
    assert editor.field_for("eligibility.min_age") == "min_age"
    assert editor.field_for("schedule.starts") == "starts"
    assert editor.field_for("") is None
    assert editor.location("components-1-weight") == "考核项目第2行: 权重"


# ---- The rule editor page ------------------------------------------------------------------

def test_the_editor_shows_the_rules_and_their_summary(orgs, organizer, client):
    item = competition("C-1", orgs["A"])
    page = text(client.get(reverse("competitions:rules", args=[item.pk])))
    assert 'name="components-1-weight" value="70"' in page
    assert "理论知识 30%、操作技能 70%，各60分及格" in page
    assert 'hx-get="/work/competitions/rules/row/components/"' in page


def test_saving_valid_rules(orgs, organizer, client):
    item = competition("C-1", orgs["A"])
    state = editor.state_from_spec(item.spec)
    data = form_data(state, **{"components-0-weight": "40", "components-1-weight": "60", "unit_quota": "3"})
    response = client.post(reverse("competitions:rules", args=[item.pk]), data)
    assert response.status_code == 302 and response["Location"] == reverse("competitions:detail", args=[item.pk])
    item.refresh_from_db()
    assert [c["weight"] for c in item.spec["components"]] == ["0.4", "0.6"] and item.spec["unit_quota"] == 3
    assert AuditRecord.objects.filter(action="competitions.update_rules", actor=organizer).exists()


def test_every_problem_is_listed_and_shown_at_its_field(orgs, organizer, client):
    item = competition("C-1", orgs["A"])
    before = Competition.objects.get(pk=item.pk).spec
    state = editor.state_from_spec(item.spec)
    state["tie_breakers"] = [{"kind": "component", "component": "oral", "direction": "desc"}]
    state["bands"] = [{"name": "一等奖", "kind": "rank_range", "value": "1", "last": "5", "min": ""},
                      {"name": "二等奖", "kind": "rank_range", "value": "3", "last": "10", "min": ""},
                      {"name": "三等奖", "kind": "quota_ratio", "value": "150", "last": "", "min": ""}]
    state["fields"]["marking_scheme"] = (
        "component: practical\ncriteria:\n  - code: A\n    name: 质量\n    aspects:\n"
        "      - {code: A1, type: M, name: 尺寸, max: 10}\n")
    data = form_data(state, **{"components-1-weight": "60", "components-1-pass": "120", "host": "NOPE",
                               "min_age": "abc"})
    response = client.post(reverse("competitions:rules", args=[item.pk]), data)
    assert response.status_code == 200
    shown = problems_at(response)
    assert shown["components"] == ["权重合计应为100%，现为90%。"]
    assert "components-1-pass" in shown and "tie_breakers-0-component" in shown
    assert "bands" in shown and shown["bands-2-value"] == ["请填写大于0且不超过100的百分数。"]
    assert "marking_scheme" in shown and "min_age" in shown and "host" in shown
    page = text(response)
    assert "发现8处问题，未作保存。" in page
    assert 'href="#f-components-1-pass"' in page
    assert 'name="host" value="NOPE"' in page  # what was typed stays
    assert Competition.objects.get(pk=item.pk).spec == before


def test_a_marking_scheme_that_is_not_yaml_is_listed_with_the_rest(orgs, organizer, client):
    item = competition("C-1", orgs["A"])
    data = form_data(editor.state_from_spec(item.spec), marking_scheme="component: [practical",
                     **{"components-0-weight": "10"})
    response = client.post(reverse("competitions:rules", args=[item.pk]), data)
    shown = problems_at(response)
    assert set(shown) == {"marking_scheme", "components"} and "YAML" in shown["marking_scheme"][0]
    assert Competition.objects.get(pk=item.pk).spec == item.spec


def test_frozen_rules_ask_for_a_reason(orgs, organizer, client):
    item = competition("C-1", orgs["A"], status="registration_open")
    state = editor.state_from_spec(item.spec)
    data = form_data(state, unit_quota="2")
    page = text(client.get(reverse("competitions:rules", args=[item.pk])))
    assert "报名已开放，规则已锁定" in page and 'name="reason"' in page
    response = client.post(reverse("competitions:rules", args=[item.pk]), data)
    assert problems_at(response) == {"reason": ["报名已开放，规则已锁定：请填写修改原因，原因将随修改一并记录。"]}
    response = client.post(reverse("competitions:rules", args=[item.pk]), {**data, "reason": "场地有限"})
    assert response.status_code == 302
    assert AuditRecord.objects.get(action="competitions.update_rules").reason == "场地有限"


def test_saving_unchanged_rules_says_so(orgs, organizer, client):
    item = competition("C-1", orgs["A"], status="registration_open")
    data = form_data(editor.state_from_spec(item.spec))
    response = client.post(reverse("competitions:rules", args=[item.pk]), data, follow=True)
    assert "没有任何更改。" in text(response)
    assert not AuditRecord.objects.filter(action="competitions.update_rules").exists()


def test_a_new_competition_from_the_editor(orgs, organizer, client):
    page = client.get(reverse("competitions:create"))
    state = page.context["state"]
    assert state["fields"]["host"] == "DA" and state["fields"]["code"] == ""
    state["fields"].update(code="NEW-1", name="电工", series_code="S-NEW", series_name="甲区系列赛",
                           occupation="6-31-01-03", level="district")
    response = client.post(reverse("competitions:create"), form_data(state))
    item = Competition.objects.get(code="NEW-1")
    assert response["Location"] == reverse("competitions:detail", args=[item.pk])
    assert item.created_by == organizer and item.spec["awards"]["bands"][0]["min"] == 1


def test_copying_a_competition_keeps_its_rules_but_not_its_code(orgs, organizer, client):
    item = competition("C-1", orgs["A"], unit_quota=4)
    state = client.get(reverse("competitions:create") + f"?copy={item.pk}").context["state"]
    assert state["fields"]["code"] == "" and state["fields"]["unit_quota"] == "4"
    assert state["fields"]["series_code"] == item.series.code


def test_the_preview_and_the_new_rows(orgs, organizer, client):
    state = editor.state_from_spec(PUBLISHED_FIXED)
    page = text(client.post(reverse("competitions:preview"), form_data(state)))
    assert "一等奖前10%（至少1名）；二等奖其后20%；三等奖其后30%。" in page
    page = text(client.post(reverse("competitions:preview"), form_data(state, **{"components-0-weight": "50"})))
    assert "尚未完成" in page and "权重合计应为100%，现为120%。" in page
    row = text(client.get(reverse("competitions:row", args=["bands"]) + "?i=7"))
    assert 'name="bands-7-name"' in row and 'data-kind="quota_ratio"' in row
    assert client.get(reverse("competitions:row", args=["nothing"])).status_code == 404


# ---- YAML up and down -------------------------------------------------------------------------

def test_uploading_and_downloading_yaml(orgs, organizer, client):
    item = competition("C-1", orgs["A"])
    download = client.get(reverse("competitions:spec_yaml", args=[item.pk]))
    assert download["Content-Type"].startswith("application/yaml")
    yaml_text = download.content.decode()
    assert load_spec(yaml_text) == load_spec(item.spec)
    changed = yaml_text.replace("name: C-1 焊工", "name: 焊工（甲区）")
    upload = SimpleUploadedFile("c-1.yaml", changed.encode())
    response = client.post(reverse("competitions:upload") + f"?competition={item.pk}", {"file": upload})
    assert response.status_code == 302
    assert Competition.objects.get(pk=item.pk).name == "焊工（甲区）"


def test_an_uploaded_spec_with_problems_lists_them_all(orgs, organizer, client):
    text_in = "code: X-1\nname: 焊工\nlevel: country\nsurprise: 1\n"
    response = client.post(reverse("competitions:upload"), {"text": text_in})
    page = text(response)
    assert "未作保存" in page and "<code>surprise</code>" in page and "<code>level</code>" in page
    assert "<code>host</code>" in page and "<code>components</code>" in page
    assert not Competition.objects.filter(code="X-1").exists()
    forbidden = spec("X-2", orgs["B"])
    from jingsai.competitions.spec import dump_spec

    page = text(client.post(reverse("competitions:upload"), {"text": dump_spec(forbidden)}))
    assert "您不能以乙区总工会名义举办竞赛" in page


# ---- The competition page and its lifecycle ------------------------------------------------------

def test_the_page_shows_rules_rounds_steps_and_timeline(orgs, organizer, client):
    item = competition("C-1", orgs["A"])
    page = text(client.get(reverse("competitions:detail", args=[item.pk])))
    assert "理论知识 30%、操作技能 70%" in page and 'data-to="registration_open"' in page
    response = client.post(reverse("competitions:transition", args=[item.pk]),
                           {"to": "registration_open", "reason": "规则已审定"}, follow=True)
    page = text(response)
    assert "竞赛已变更为“报名中”。" in page and "规则已审定" in page
    assert 'data-to="registration_closed"' in page and 'data-to="draft"' in page
    assert Competition.objects.get(pk=item.pk).status == Status.REGISTRATION_OPEN


def test_a_blocked_step_says_why(orgs, organizer, client):
    item = competition("C-1", orgs["A"], schedule=None)
    page = text(client.get(reverse("competitions:detail", args=[item.pk])))
    assert "请先在规则的日程中设置报名开始和截止时间。" in page and "disabled" in page
    response = client.post(reverse("competitions:transition", args=[item.pk]), {"to": "registration_open"},
                           follow=True)
    assert "请先在规则的日程中设置比赛开始时间" in text(response)
    assert Competition.objects.get(pk=item.pk).status == Status.DRAFT


def test_rule_changes_appear_on_the_timeline_with_their_reason(orgs, organizer, client):
    item = competition("C-1", orgs["A"], status="registration_open")
    raw = spec("C-1", orgs["A"], schedule=item.spec["schedule"], unit_quota=2)
    services.load_competition(organizer, raw, reason="名额调整")
    page = text(client.get(reverse("competitions:detail", args=[item.pk])))
    assert "修改规则" in page and "名额调整" in page and "<code>unit_quota</code>" in page


def test_a_unit_contact_sees_the_page_but_no_buttons(orgs, client):
    item = competition("C-1", orgs["A"], status="registration_open")
    client.force_login(factories.user(role=Role.UNIT_CONTACT, org=orgs["unit_a"]))
    page = text(client.get(reverse("competitions:detail", args=[item.pk])))
    assert "理论知识" in page and "data-to=" not in page and "编辑规则" not in page
    draft = competition("C-2", orgs["A"])
    assert client.get(reverse("competitions:detail", args=[draft.pk])).status_code == 403


# ---- Lists -----------------------------------------------------------------------------------

def test_the_list_is_the_users_scope_and_filters(orgs, organizer, client):
    competition("C-A1", orgs["A"], status="registration_open")
    competition("C-A2", orgs["street_a"], level="street")
    competition("C-B1", orgs["B"], status="registration_open")
    competition("C-U1", orgs["union"], level="city", status="registration_open")
    competition("C-U2", orgs["union"], level="city")

    def codes(query=""):
        page = client.get(reverse("competitions:list") + query)
        return sorted(c.code for c in page.context["page_obj"])

    assert codes() == ["C-A1", "C-A2", "C-U1"]  # not B's, not the city's draft
    assert codes("?status=draft") == ["C-A2"]
    assert codes("?level=city") == ["C-U1"]
    assert codes("?mine=1") == ["C-A1", "C-A2"]
    assert codes("?q=a2") == ["C-A2"]
    series = Competition.objects.get(code="C-A2").series
    assert codes(f"?series={series.pk}") == ["C-A2"]
    assert codes("?status=nonsense&series=x") == ["C-A1", "C-A2", "C-U1"]


def test_unit_contacts_see_what_their_unit_may_enter(orgs, client):
    competition("C-A1", orgs["A"], status="registration_open")
    competition("C-A2", orgs["A"])
    competition("C-B1", orgs["B"], status="registration_open")
    client.force_login(factories.user(role=Role.UNIT_CONTACT, org=orgs["unit_a"]))
    page = client.get(reverse("competitions:list"))
    assert [c.code for c in page.context["page_obj"]] == ["C-A1"]


def test_series_pages_and_renaming(orgs, organizer, client):
    item = competition("C-A1", orgs["A"])
    page = text(client.get(reverse("competitions:series_list")))
    assert "甲区总工会系列赛" in page
    page = text(client.get(reverse("competitions:series_detail", args=[item.series.pk])))
    assert "C-A1" in page and "草稿 · 1" in page
    response = client.post(reverse("competitions:series_edit", args=[item.series.pk]),
                           {"name": "甲区2026年技能竞赛", "year": "2026", "reason": "更名"})
    assert response.status_code == 302
    assert Competition.objects.get(pk=item.pk).spec["series"]["name"] == "甲区2026年技能竞赛"
    response = client.post(reverse("competitions:series_edit", args=[item.series.pk]), {"name": "", "year": "1990"})
    assert response.status_code == 200 and response.context["form"].errors


# ---- Dashboard, menu, public page ----------------------------------------------------------------

def test_the_dashboard_lists_competitions_waiting_for_their_organizer(orgs, organizer, client):
    competition("C-A1", orgs["A"])
    item = competition("C-A2", orgs["A"], status="registration_open")
    Competition.objects.filter(pk=item.pk).update(status=Status.REGISTRATION_CLOSED)
    page = text(client.get(reverse("core:dashboard")))
    assert "待您推进的竞赛" in page
    assert "C-A1 焊工 · 完善规则并开放报名" in page and "C-A2 焊工 · 审核报名并开始比赛" in page
    assert "赛事管理" in page


def test_the_dashboard_shows_a_unit_contact_whats_open(orgs, client):
    competition("C-A1", orgs["A"], status="registration_open")
    client.force_login(factories.user(role=Role.UNIT_CONTACT, org=orgs["unit_a"]))
    page = text(client.get(reverse("core:dashboard")))
    assert "正在报名的竞赛" in page and "C-A1 焊工 · " in page and "我的赛事" in page


def test_the_public_page_shows_the_rules(orgs, client):
    item = competition("C-A1", orgs["A"], status="registration_open", stages=[
        {"key": "q", "name": "街道初赛", "scope": "street", "advance": {"top": 3}}, {"key": "f", "name": "区级决赛"}])
    page = text(client.get(reverse("public:competition", args=[item.code])))
    assert "理论知识 30%、操作技能 70%，各60分及格" in page
    assert "街道初赛按街道分赛区，每街道前3名晋级区级决赛" in page and "街道初赛 → 区级决赛" in page
