"""Input the forms would never send, through the API, the command line and the import
files: a specific message in Chinese and nothing stored, never a server error."""

import datetime
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jingsai.exams import services
from jingsai.exams.formats import moodle
from jingsai.exams.models import Bank, ExamSession, Question
from tests import factories
from tests.commands import run_command
from tests.exams import factories as ex

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"


@pytest.fixture
def world():
    data = ex.exam_with_organizer(n_candidates=1)
    data["client"] = ex.logged_in(data["organizer"])
    return data


def _json(client, method, url, body):
    return getattr(client, method)(url, body, content_type="application/json")


def test_a_session_time_without_a_zone_is_read_in_the_servers_zone(world):
    session = world["session"]
    changed = _json(world["client"], "patch", f"/api/exams/sessions/{session.pk}", {"opens_at": "2026-01-01T09:00:00"})
    assert changed.status_code == 200
    session.refresh_from_db()
    assert session.opens_at == timezone.make_aware(datetime.datetime(2026, 1, 1, 9, 0))
    now = timezone.localtime().replace(tzinfo=None, microsecond=0)
    made = _json(world["client"], "post", "/api/exams/sessions", {
        "competition": world["competition"].code, "paper": world["paper"].pk, "name": "补考",
        "opens_at": now.isoformat(), "closes_at": (now + datetime.timedelta(hours=2)).isoformat() + "+08:00",
        "duration_minutes": 60})
    assert made.status_code == 201, made.json()


@pytest.mark.parametrize("body, message", [
    ({"name": ""}, "考试名称"),
    ({"name": "   "}, "考试名称"),
    ({"name": "长" * 101}, "考试名称"),
    ({"access_code": "c" * 33}, "考场口令"),
])
def test_a_session_name_and_access_code_are_checked_by_every_door(world, body, message):
    session = world["session"]
    patched = _json(world["client"], "patch", f"/api/exams/sessions/{session.pk}", body)
    assert patched.status_code == 400 and message in patched.json()["detail"]
    now = timezone.now()
    before = ExamSession.objects.count()
    made = _json(world["client"], "post", "/api/exams/sessions", {
        "competition": world["competition"].code, "paper": world["paper"].pk, "name": "补考",
        "opens_at": now.isoformat(), "closes_at": (now + datetime.timedelta(hours=2)).isoformat(),
        "duration_minutes": 60, **body})
    assert made.status_code == 400 and message in made.json()["detail"]
    assert ExamSession.objects.count() == before
    session.refresh_from_db()
    assert session.name == "理论考试" and session.access_code == ""


def test_a_session_name_is_stored_without_surrounding_spaces(world):
    services.update_session(factories.actor(), world["session"], name="  决赛理论  ", reason="改名")
    world["session"].refresh_from_db()
    assert world["session"].name == "决赛理论"


def test_a_bank_with_a_bad_level_or_occupation_is_explained(world):
    made = _json(world["client"], "post", "/api/exams/banks",
                 {"occupation": "6-18-02-05", "level": 9, "owner": world["orgs"]["union"].code})
    assert made.status_code == 400
    detail = made.json()["detail"]
    assert "等级" in detail and "level" not in detail
    before = Bank.objects.count()
    code, _out, err = run_command("questions", "import", str(DATA / "gift_sample.gift"), "--occupation", "6-18-2-4",
                                  "--level", "4", "--owner", world["orgs"]["union"].code)
    assert code == 1 and "职业" in err
    assert Bank.objects.count() == before


GBK_XML = ("<?xml version='1.0' encoding='GBK'?><quiz><question type='truefalse'><name><text>n</text></name>"
           "<questiontext><text>焊接时必须佩戴护目镜。</text></questiontext><answer fraction='100'><text>true</text>"
           "</answer><answer fraction='0'><text>false</text></answer></question></quiz>")


def test_a_moodle_file_saved_as_gbk_is_read(world):
    bank = world["bank"]
    made = world["client"].post(f"/api/exams/banks/{bank.pk}/import",
                                {"file": SimpleUploadedFile("题库.xml", GBK_XML.encode("gbk"))})
    assert made.status_code == 200, made.content
    assert bank.questions.filter(current__stem="焊接时必须佩戴护目镜。").exists()


@pytest.mark.parametrize("data, message", [
    (GBK_XML.replace("GBK", "x-no-such-codec").encode("gbk"), "x-no-such-codec"),
    (GBK_XML.replace("GBK", "UTF-8").encode("gbk"), "UTF-8"),
    ("\n".join(["<?xml version='1.0' encoding='GB2312'?>", "<quiz>", "\udcff"]).encode("gb2312", "surrogateescape"),
     "第 3 行"),
])
def test_a_moodle_file_in_an_unreadable_encoding_is_explained(data, message):
    parsed = moodle.read(data)
    assert len(parsed.problems) == 1 and message in str(parsed.problems[0].message)


def test_utf16_and_a_byte_order_mark_are_read():
    utf8 = GBK_XML.replace("GBK", "UTF-8")
    for data in (b"\xef\xbb\xbf" + utf8.encode(), utf8.replace("UTF-8", "UTF-16").encode("utf-16")):
        parsed = moodle.read(data)
        assert not parsed.problems and parsed.questions[0].stem == "焊接时必须佩戴护目镜。"


@pytest.mark.parametrize("body, message", [
    ({"type": "fill", "answer": [[1]]}, "第 1 空"),
    ({"type": "fill", "answer": [5]}, "第 1 空"),
    ({"type": "fill", "answer": [[{"text": "氩气", "fraction": "1E+99999999"}]]}, "1E+99999999"),
    ({"type": "fill", "answer": [[{"text": "氩气", "fraction": "1E+999999"}]]}, "1E+999999"),
])
def test_a_question_with_an_odd_answer_is_refused_with_a_message(world, body, message):
    before = Question.objects.count()
    made = _json(world["client"], "post", f"/api/exams/banks/{world['bank'].pk}/questions",
                 {"stem": "保护气体通常是____。", "options": [], **body})
    assert made.status_code == 400, made.content
    assert message in json.dumps(made.json(), ensure_ascii=False)
    assert Question.objects.count() == before
