"""The pages: the unit contact's form (pick, enter, team), the upload with its error file,
the template, exports, bulk review with htmx, the worker's self-registration."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jingsai.core import spreadsheets as sheets
from jingsai.core.models import AuditRecord
from jingsai.registration.models import Entry, EntryStatus
from tests.registration import factories as reg

pytestmark = pytest.mark.django_db


def page(city):
    return f"/work/registration/c/{city['competition'].code}/"


def test_the_template_has_the_columns_an_example_drop_downs_and_instructions(city, client):
    client.force_login(city["contact"])
    response = client.get(page(city) + "template.xlsx")
    assert response.status_code == 200
    data = b"".join(response.streaming_content) if response.streaming else response.content
    table = sheets.read_table(data, "t.xlsx")
    assert table.headers == ["姓名", "身份证号", "手机号", "单位编码", "职业技能等级", "身份类别", "人员类别"]
    assert table.rows[0][1] == reg.EXAMPLE_ID
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    assert sheet["B2"].number_format == "@"
    lists = [v.formula1 for v in sheet.data_validations.dataValidation]
    assert any("初级工" in f for f in lists) and any("学生" in f for f in lists)
    notes = " ".join(str(c.value) for c in book.worksheets[1]["A"])
    assert "示例行" in notes and "每人在本竞赛中只能报名一次" in notes


def test_team_and_split_templates_have_their_columns(city, client, make):
    competition = reg.open_competition(city["union"], mode="team", team_size=2, stages=[
        {"key": "qualifier", "name": "区赛", "scope": "district", "advance": {"top": 1}},
        {"key": "final", "name": "决赛"}])
    client.force_login(make.user("city-host", role="organizer", org=city["union"]))
    data = client.get(f"/work/registration/c/{competition.code}/template.xlsx").content
    assert sheets.read_table(data, "t.xlsx").headers[-2:] == ["团队", "赛区"]
    data = client.get(f"/work/registration/c/{competition.code}/template.xlsx?stage=final").content
    assert sheets.read_table(data, "t.xlsx").headers[-1] == "团队"


def test_upload_shows_every_problem_and_offers_the_error_file(city, client):
    client.force_login(city["contact"])
    rows = [reg.row(city["unit_a"]), reg.row(city["unit_a"], name=""), reg.row(city["unit_a"], level="九级")]
    response = client.post(page(city) + "import/", {"file": SimpleUploadedFile("报名.xlsx", reg.xlsx(rows))})
    html = response.content.decode()
    assert response.status_code == 200 and "姓名为空" in html and "九级" in html
    assert Entry.objects.count() == 0
    link = response.context["error_file"]
    table = sheets.read_table(b"".join(client.get(link).streaming_content), "e.xlsx")
    assert table.headers[-1] == "错误说明" and len(table.rows) == 3
    response = client.post(page(city) + "import/", {"file": SimpleUploadedFile("报名.xlsx", reg.xlsx(rows[:1]))})
    assert response.status_code == 302 and Entry.objects.count() == 1


def test_picking_people_of_the_unit_and_entering_one(city, client, make):
    client.force_login(city["contact"])
    ready = make.person(employer=city["unit_a"], name="待报甲")
    response = client.get(page(city) + "register/")
    assert "待报甲" in response.content.decode()
    assert "乙工人" not in response.content.decode()
    response = client.post(page(city) + "register/", {"action": "pick", "person": [ready.pk]})
    assert response.status_code == 302
    assert Entry.objects.get(person=ready).status == EntryStatus.UNIT_APPROVED
    assert "待报甲" not in client.get(page(city) + "register/").content.decode()
    number = reg.new_id()
    response = client.post(page(city) + "register/", {
        "action": "new", "name": "新人", "id_number": number, "unit": "EA", "level": "none", "worker_status": ""})
    assert response.status_code == 302
    assert Entry.objects.get(person__name="新人").level is None
    response = client.post(page(city) + "register/", {
        "action": "new", "name": "别名", "id_number": number, "unit": "EA"})
    assert "另一个姓名" in response.content.decode() or "已报名" in response.content.decode()


def test_a_team_form(city, client):
    competition = reg.open_competition(city["A"], mode="team", team_size=2)
    client.force_login(city["contact"])
    url = f"/work/registration/c/{competition.code}/register/"
    response = client.post(url, {"action": "team", "team": "一队", "unit": "EA", "name_1": "队员甲",
                                 "id_1": reg.new_id(), "name_2": "", "id_2": ""})
    assert "恰好 2 人" in response.content.decode()
    response = client.post(url, {"action": "team", "team": "一队", "unit": "EA", "name_1": "队员甲",
                                 "id_1": reg.new_id(), "name_2": "队员乙", "id_2": reg.new_id()})
    assert response.status_code == 302 and Entry.objects.filter(team__name="一队").count() == 2


def test_the_list_filters_and_bulk_review_with_htmx(city, client, make):
    first = make.entry(city["competition"], unit=city["unit_a"], status=EntryStatus.UNIT_APPROVED)
    second = make.entry(city["competition"], unit=city["unit_a"], status=EntryStatus.UNIT_APPROVED)
    client.force_login(city["organizer"])
    response = client.get(page(city) + "?status=unit_approved", HTTP_HX_REQUEST="true")
    assert response.templates[0].name == "registration/_entries.html"
    assert response.context["page_obj"].paginator.count == 2
    response = client.post(page(city) + "bulk/", {"action": "approve", "entry": [first.pk, second.pk]},
                           HTTP_HX_REQUEST="true")
    assert "已审核通过：2" in response.content.decode()
    assert set(Entry.objects.values_list("status", flat=True)) == {EntryStatus.APPROVED}
    response = client.post(page(city) + "bulk/", {"action": "reject", "entry": [first.pk]}, HTTP_HX_REQUEST="true")
    assert "驳回理由" in response.content.decode()
    assert AuditRecord.objects.filter(action="registration.approve").count() == 2


def test_the_export_says_whether_numbers_are_full(city, client, make):
    entry = make.entry(city["competition"], unit=city["unit_a"])
    client.force_login(city["organizer"])
    data = client.get(page(city) + "export/").content
    table = sheets.read_table(data, "x.xlsx")
    assert table.rows[0][3] == entry.person.id_number
    client.force_login(city["contact"])
    table = sheets.read_table(client.get(page(city) + "export/").content, "x.xlsx")
    assert table.rows[0][3] == entry.person.id_number_masked
    assert AuditRecord.objects.filter(action="registration.export").count() == 2


def test_the_worker_registers_from_the_public_page(city, client):
    url = f"/competitions/{city['competition'].code}/register/"
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(city["worker"])
    assert "报名参加本竞赛" in client.get(url).content.decode()
    response = client.post(url)
    entry = Entry.objects.get()
    assert response.status_code == 302 and entry.status == EntryStatus.SUBMITTED
    assert "您已报名" in client.get(url).content.decode()
    dashboard = client.get("/work/").content.decode()
    assert "我的报名" in dashboard and city["competition"].name in dashboard


def test_dashboards_show_what_awaits_each_role(city, client, make):
    make.entry(city["competition"], unit=city["unit_a"], status=EntryStatus.SUBMITTED)
    make.entry(city["competition"], unit=city["unit_a"], status=EntryStatus.UNIT_APPROVED)
    client.force_login(city["contact"])
    assert "待单位审核的报名" in client.get("/work/").content.decode()
    client.force_login(city["organizer"])
    html = client.get("/work/").content.decode()
    assert "待主办单位审核的报名" in html
    html = client.get("/work/registration/todo/?step=host").content.decode()
    assert city["competition"].name in html
    worker_view = client.get("/work/registration/").content.decode()
    assert city["competition"].code in worker_view


def test_rejected_entries_come_back_to_the_unit_with_their_reason(city, client, make):
    entry = make.entry(city["competition"], unit=city["unit_a"], status=EntryStatus.SUBMITTED)
    from jingsai.registration import services

    services.reject(city["organizer"], [entry], reason="证书编号有误")
    client.force_login(city["contact"])
    assert "被驳回待修改的报名" in client.get("/work/").content.decode()
    html = client.get("/work/registration/todo/?step=returned").content.decode()
    assert "证书编号有误" in html and entry.person.name in html


def _export_href(html):
    import html as html_module
    import re

    match = re.search(r'<a [^>]*href="([^"]*)"[^>]*id="export-link"', html)
    assert match, "no export link"
    return html_module.unescape(match.group(1))


def _exported_numbers(client, href):
    response = client.get(href)
    assert response.status_code == 200
    return sorted(row[0] for row in sheets.read_table(response.content, "x.xlsx").rows)


@pytest.fixture
def split(city, make):
    """A competition of the whole city whose first stage is split into district 赛区,
    with entries of both districts, in several statuses and groups."""
    from jingsai.people.models import GroupTag

    competition = reg.open_competition(city["union"], stages=[
        {"key": "qualifier", "name": "区赛", "scope": "district", "advance": {"top": 1}},
        {"key": "final", "name": "决赛"}])
    migrant = GroupTag.objects.get(code="migrant")
    entries = {
        "a_approved": make.entry(competition, unit=city["unit_a"], scope=city["A"], status=EntryStatus.APPROVED),
        "a_submitted": make.entry(competition, unit=city["unit_a"], scope=city["A"], status=EntryStatus.SUBMITTED),
        "b_approved": make.entry(competition, unit=city["unit_b"], scope=city["B"], status=EntryStatus.APPROVED),
        "b_migrant": make.entry(competition, unit=city["unit_b"], scope=city["B"], status=EntryStatus.SUBMITTED),
    }
    entries["b_migrant"].person.groups.add(migrant)
    final = competition.stages.get(key="final")
    entries["final"] = make.entry(competition, stage=final, unit=city["unit_a"], person=entries["a_approved"].person,
                                  previous=entries["a_approved"])
    return {"competition": competition, "url": f"/work/registration/c/{competition.code}/",
            "organizer": make.user("city-organizer", role="organizer", org=city["union"]), **entries}


@pytest.mark.parametrize(("query", "expected"), [
    ("scope=DA", ["a_approved", "a_submitted"]),
    ("scope=DB", ["b_approved", "b_migrant"]),
    ("unit=EB", ["b_approved", "b_migrant"]),
    ("unit=SA", ["a_approved", "a_submitted"]),
    ("unit=NOPE", []),
    ("group=migrant", ["b_migrant"]),
    ("status=submitted", ["a_submitted", "b_migrant"]),
    ("scope=DB&status=approved", ["b_approved"]),
    ("stage=final", ["final"]),
])
def test_the_list_and_its_export_show_the_same_entries_for_every_filter(split, client, query, expected):
    client.force_login(split["organizer"])
    numbers = sorted(split[name].number for name in expected)
    full = client.get(f"{split['url']}?{query}")
    assert sorted(e.number for e in full.context["page_obj"]) == numbers
    assert _exported_numbers(client, _export_href(full.content.decode())) == numbers
    # The filters chosen on the page come with htmx: the answer replaces the export link too.
    response = client.get(f"{split['url']}?{query}", HTTP_HX_REQUEST="true")
    assert response.templates[0].name == "registration/_entries.html"
    html = response.content.decode()
    assert sorted(e.number for e in response.context["page_obj"]) == numbers
    assert 'hx-swap-oob="true"' in html
    assert _exported_numbers(client, _export_href(html)) == numbers


def test_the_export_link_follows_filters_chosen_after_the_page_loaded(split, client):
    client.force_login(split["organizer"])
    page_html = client.get(split["url"]).content.decode()
    assert _exported_numbers(client, _export_href(page_html)) == sorted(
        split[n].number for n in ("a_approved", "a_submitted", "b_approved", "b_migrant"))
    html = client.get(f"{split['url']}?stage=qualifier&q=&status=submitted&scope=DB&unit=&group=migrant&todo=",
                      HTTP_HX_REQUEST="true").content.decode()
    href = _export_href(html)
    assert "scope=DB" in href and "group=migrant" in href and "status=submitted" in href and "unit=" not in href
    assert _exported_numbers(client, href) == [split["b_migrant"].number]
    record = AuditRecord.objects.filter(action="registration.export").latest("at")
    assert record.data["filters"] == {"scope": "DB", "status": "submitted", "group": "migrant"}
    assert record.data["rows"] == 1


def test_bulk_review_with_htmx_keeps_the_export_link_on_the_filters(split, client):
    client.force_login(split["organizer"])
    response = client.post(f"{split['url']}bulk/?stage=qualifier&scope=DA&status=submitted",
                           {"action": "approve", "entry": [split["a_submitted"].pk]}, HTTP_HX_REQUEST="true")
    href = _export_href(response.content.decode())
    assert "scope=DA" in href and "status=submitted" in href
    assert _exported_numbers(client, href) == []
