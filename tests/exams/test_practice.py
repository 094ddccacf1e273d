"""岗位练兵: practice rounds, explanations, the wrong-answer book and the activity that
units and organizers see."""

import pytest
from django.test import Client

from jingsai.accounts.models import Role
from jingsai.core import spreadsheets as sheets
from jingsai.core.errors import UserError
from jingsai.exams import services
from jingsai.exams.models import PracticeItem, Question, WrongAnswer
from tests import factories
from tests.exams import factories as ex

pytestmark = pytest.mark.django_db


@pytest.fixture
def practice_world():
    orgs = factories.tree()
    bank = ex.bank(owner=orgs["union"])
    ex.fill_bank(bank, per_type=4)
    worker = factories.person(employer=orgs["unit_a"])
    other = factories.person(employer=orgs["unit_b"])
    return {"orgs": orgs, "bank": bank, "worker": worker, "other": other,
            "user": factories.user(person=worker)}


def _wrong(item):
    version = item.version
    if version.type in ("single", "multiple"):
        return ["Z"] if version.type == "multiple" else "Z"
    return {"judge": not version.answer, "fill": ["不对"]}.get(version.type, "")


def test_practice_by_knowledge_point_with_explanations_and_the_wrong_answer_book(practice_world):
    bank, worker = practice_world["bank"], practice_world["worker"]
    point = bank.knowledge_points.get(name="焊接安全")
    practice = services.start_practice(worker, bank, knowledge_point=point, count=50)
    assert practice.total == 20  # every question of the point, no more
    assert all(i.version.knowledge_point_id == point.pk for i in practice.items.select_related("version"))
    objective = list(practice.items.select_related("version").exclude(version__type="short"))
    first, second = objective[0], objective[1]
    right = services.answer_practice(worker, first, _right(first))
    assert right.correct is True
    wrong = services.answer_practice(worker, second, _wrong(second))
    assert wrong.correct is False
    assert services.answer_practice(worker, second, _right(second)).correct is False  # answered once
    book = WrongAnswer.objects.get(person=worker)
    assert book.question_id == second.version.question_id and book.times_wrong == 1
    practice.refresh_from_db()
    assert (practice.answered, practice.correct) == (2, 1)
    review = services.start_practice(worker, bank, mode="wrong")
    assert review.total == 1
    again = review.items.select_related("version").get()
    services.answer_practice(worker, again, _right(again))
    book.refresh_from_db()
    assert book.mastered_at is not None
    with pytest.raises(UserError):
        services.start_practice(worker, bank, mode="wrong")


def _right(item):
    version = item.version
    return {"single": lambda: next(k for k, f in version.answer.items() if f == "1"),
            "multiple": lambda: list(version.answer), "judge": lambda: version.answer,
            "fill": lambda: [b[0]["text"] for b in version.answer]}[version.type]()


def test_a_closed_bank_is_not_for_practice(practice_world):
    services.update_bank(None, practice_world["bank"], practice_open=False)
    with pytest.raises(UserError):
        services.start_practice(practice_world["worker"], practice_world["bank"])


def test_activity_by_unit_and_group_for_units_and_organizers(practice_world):
    bank, orgs = practice_world["bank"], practice_world["orgs"]
    for person in (practice_world["worker"], practice_world["other"]):
        practice = services.start_practice(person, bank, count=4)
        for item in practice.items.select_related("version").exclude(version__type="short"):
            services.answer_practice(person, item, _right(item))
    rows = services.practice_activity(PracticeItem.objects.all())
    assert {r["name"] for r in rows} == {"甲企业", "乙企业"}
    assert all(r["people"] == 1 and r["accuracy"] == 100 for r in rows)
    contact = factories.user(role=Role.UNIT_CONTACT, org=orgs["unit_a"])
    unpractised = ex.bank(owner=orgs["B"], occupation="4-02-01-01", name="无人练习的题库")
    client = Client()
    client.force_login(contact)
    page = client.get("/work/exams/practice/activity/")
    assert page.status_code == 200
    assert "甲企业" in page.content.decode() and "乙企业" not in page.content.decode()
    page = client.get("/work/exams/practice/activity/")  # with a bank nobody has practised on
    assert bank.name in page.content.decode() and unpractised.name not in page.content.decode()
    export = client.get("/work/exams/practice/activity.xlsx?by=unit")
    table = sheets.read_table(export.content, "a.xlsx")
    assert table.headers[0] == "单位" and table.rows[0][0] == "甲企业"
    organizer = factories.user(role=Role.ORGANIZER, org=orgs["union"])
    client.force_login(organizer)
    body = client.get("/work/exams/practice/activity/?by=group").content.decode()
    assert "未分类" in body
    api = client.get("/api/exams/practice/stats").json()
    assert {r["name"] for r in api["rows"]} == {"甲企业", "乙企业"}
    assert client.get(f"/api/exams/practice/stats?bank={unpractised.pk}").json()["rows"] == []


def test_practice_activity_from_the_command_line(practice_world, tmp_path):
    """`jingsai exams practice-stats` reports what the statistics page shows, to the acting
    user's scope, printed or written to a file; bad input gets a message."""
    from tests.commands import run_command

    bank, orgs = practice_world["bank"], practice_world["orgs"]
    for person in (practice_world["worker"], practice_world["other"]):
        practice = services.start_practice(person, bank, count=4)
        for item in practice.items.select_related("version").exclude(version__type="short"):
            services.answer_practice(person, item, _right(item))
    code, out, err = run_command("exams", "practice-stats")
    assert code == 0, err
    assert "甲企业" in out and "乙企业" in out and "100.0" in out
    factories.user("danwei", role=Role.UNIT_CONTACT, org=orgs["unit_a"])
    code, out, err = run_command("exams", "practice-stats", "--user", "danwei", "--days", "7")
    assert code == 0 and "甲企业" in out and "乙企业" not in out, (out, err)
    target = tmp_path / "练兵.xlsx"
    code, out, err = run_command("exams", "practice-stats", "--by", "group", "--out", str(target))
    assert code == 0, err
    table = sheets.read_table(target.read_bytes(), "a.xlsx")
    assert table.headers[0] == "人员类别" and table.rows[0][0] == "未分类"
    code, _out, err = run_command("exams", "practice-stats", "--days", "0")
    assert code == 1 and "366" in err
    code, _out, err = run_command("exams", "practice-stats", "--bank", "99999")
    assert code == 1 and "99999" in err
    code, _out, err = run_command("exams", "practice-stats", "--user", practice_world["user"].username)
    assert code == 1  # a worker sees no one's statistics


def test_the_worker_practises_in_the_pages(practice_world):
    client = Client()
    client.force_login(practice_world["user"])
    assert client.get("/work/exams/practice/").status_code == 200
    response = client.post("/work/exams/practice/start/", {"bank": practice_world["bank"].pk, "count": 10})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    practice = practice_world["worker"].practice_sets.get()
    item = practice.items.select_related("version").exclude(version__type__in=["short", "fill"]).first()
    value = _wrong(item)
    data = {"q": value if not isinstance(value, bool) else str(value).lower()}
    answered = client.post(f"/work/exams/practice/{practice.pk}/answer/{item.position}/", data, HTTP_HX_REQUEST="true")
    assert "已加入错题本" in answered.content.decode()
    assert "错" in client.get("/work/exams/practice/wrong/").content.decode()


def test_the_explanation_shows_once_the_question_is_answered_on_the_page_and_through_the_api(practice_world):
    import json

    from django.urls import reverse

    bank, user = practice_world["bank"], practice_world["user"]
    explanation = "碱性焊条一般采用直流反接，电弧稳定、飞溅少。"
    for _ in range(2):
        services.add_question(factories.actor(), bank, ex.question("single", kp="解析专练", explanation=explanation))
    point = bank.knowledge_points.get(name="解析专练")
    practice = services.start_practice(user.person, bank, knowledge_point=point, count=2)
    first, second = practice.items.select_related("version").order_by("position")
    client = Client()
    client.force_login(user)
    round_page = client.get(reverse("exams:practice_round", args=[practice.pk])).content.decode()
    assert explanation not in round_page  # not before answering
    fragment = client.post(reverse("exams:practice_answer", args=[practice.pk, first.position]),
                           {"q": _wrong(first)}).content.decode()
    assert explanation in fragment and "解析" in fragment
    assert explanation in client.get(reverse("exams:practice_round", args=[practice.pk])).content.decode()
    answered = client.post(f"/api/exams/practice/{practice.pk}/answers",
                           data=json.dumps({"position": second.position, "response": _right(second)}),
                           content_type="application/json")
    assert answered.status_code == 200, answered.content
    body = answered.json()
    assert body["correct"] is True and body["explanation"] == explanation


def test_a_practice_round_with_a_bad_count_or_mode_is_refused_with_a_message(practice_world):
    bank, worker = practice_world["bank"], practice_world["worker"]
    with pytest.raises(UserError):
        services.start_practice(worker, bank, count="十")
    with pytest.raises(UserError):
        services.start_practice(worker, bank, mode="everything-at-once")
    questions = Question.objects.filter(bank=bank, is_active=True).count()
    assert services.start_practice(worker, bank, count=500).total == min(questions, 100)  # more is capped
    client = Client()
    client.force_login(practice_world["user"])
    page = client.post("/work/exams/practice/start/", {"bank": bank.pk, "count": "abc"}, follow=True)
    assert page.status_code == 200 and "整数" in page.content.decode()


def test_taking_a_question_out_of_the_wrong_answer_book_is_recorded_and_only_by_its_owner(practice_world):
    from jingsai.core.models import AuditRecord

    bank, worker = practice_world["bank"], practice_world["worker"]
    practice = services.start_practice(worker, bank, count=20)
    item = practice.items.select_related("version").exclude(version__type="short").first()
    services.answer_practice(worker, item, _wrong(item))
    wrong = WrongAnswer.objects.get(person=worker)
    other_user = factories.user(person=practice_world["other"])
    stranger = Client()
    stranger.force_login(other_user)
    assert stranger.post(f"/work/exams/practice/wrong/{wrong.pk}/remove/").status_code == 404
    client = Client()
    client.force_login(practice_world["user"])
    assert client.post(f"/work/exams/practice/wrong/{wrong.pk}/remove/").status_code == 302
    wrong.refresh_from_db()
    assert wrong.mastered_at is not None
    record = AuditRecord.objects.get(action="exams.remove_wrong_answer")
    assert record.actor_id == practice_world["user"].pk and record.data == {"question": wrong.question_id}
    with pytest.raises(UserError):
        services.remove_wrong_answer(other_user, wrong)


def test_checking_with_no_answer_says_so_and_counts_nothing(practice_world):
    client = Client()
    client.force_login(practice_world["user"])
    practice = services.start_practice(practice_world["worker"], practice_world["bank"], count=40)  # every question
    item = practice.items.select_related("version").filter(version__type="single").first()
    refused = client.post(f"/work/exams/practice/{practice.pk}/answer/{item.position}/", {}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 400 and refused["Content-Type"].startswith("text/plain")
    assert refused.content.decode() == "请先选择或填写答案。"
    for empty in ("", [], ["  "], None):
        with pytest.raises(UserError, match="请先选择或填写答案"):
            services.answer_practice(practice_world["worker"], item, empty)
    item.refresh_from_db()
    practice.refresh_from_db()
    assert item.answered_at is None and practice.answered == 0
    assert not WrongAnswer.objects.filter(person=practice_world["worker"]).exists()


def test_no_practice_on_a_bank_while_an_exam_drawn_from_it_is_under_way():
    import datetime

    from django.utils import timezone

    world = ex.exam(n_candidates=2)
    (first, entry), (second, _other_entry) = world["candidates"]
    session, bank, person = world["session"], world["bank"], entry.person
    opens = session.opens_at
    ExamSession = type(session)
    ExamSession.objects.filter(pk=session.pk).update(opens_at=timezone.now() + datetime.timedelta(hours=1))
    before = services.start_practice(person, bank, count=20)  # the day before the exam
    ExamSession.objects.filter(pk=session.pk).update(opens_at=opens)
    session.refresh_from_db()
    with pytest.raises(UserError, match="正在进行使用该题库的理论考试"):
        services.start_practice(person, bank, count=5)
    item = before.items.select_related("version").exclude(version__type="short").first()
    with pytest.raises(UserError, match="正在进行使用该题库的理论考试"):
        services.answer_practice(person, item, _right(item))
    other = ex.bank(occupation="6-18-02-05")
    ex.fill_bank(other, per_type=1)
    assert services.start_practice(person, other, count=3).total == 3  # another bank: fine
    # The window closes, but a candidate with extra time is still answering: still no practice.
    services.set_allowance(world["invigilator"], session, _other_entry, 60, reason="听障")
    still = services.start(second, session, device="d2")
    services.submit(first, services.start(first, session, device="d1"), device="d1")
    ExamSession.objects.filter(pk=session.pk).update(closes_at=timezone.now() - datetime.timedelta(minutes=1))
    with pytest.raises(UserError, match="正在进行使用该题库的理论考试"):
        services.answer_practice(person, item, _right(item))
    services.submit(second, still, device="d2")
    assert services.answer_practice(person, item, _right(item)).correct is True


def test_an_organizer_closes_a_bank_to_practice_in_the_pages_the_api_and_the_command_line(practice_world):
    from jingsai.core.models import AuditRecord
    from tests.commands import run_command

    bank = practice_world["bank"]
    organizer = factories.user(role=Role.ORGANIZER, org=practice_world["orgs"]["union"])
    client = Client()
    client.force_login(organizer)
    page = client.get(f"/work/exams/banks/{bank.pk}/").content.decode()
    assert 'id="bank-settings"' in page
    client.post(f"/work/exams/banks/{bank.pk}/settings/", {"name": "焊工理论题库", "reason": "决赛用题"})
    bank.refresh_from_db()
    assert bank.name == "焊工理论题库" and not bank.practice_open
    with pytest.raises(UserError, match="未开放练兵"):
        services.start_practice(practice_world["worker"], bank)
    record = AuditRecord.objects.filter(action="exams.update_bank", object_id=str(bank.pk)).get()
    assert record.reason == "决赛用题" and record.changes["practice_open"] == [True, False]
    refused = client.post(f"/work/exams/banks/{bank.pk}/settings/", {"name": "  ", "practice_open": "on"},
                          follow=True)
    assert "请填写题库名称" in refused.content.decode()
    bank.refresh_from_db()
    assert bank.name == "焊工理论题库" and not bank.practice_open  # nothing changed
    opened = client.patch(f"/api/exams/banks/{bank.pk}", {"practice_open": True, "reason": "决赛结束"},
                          content_type="application/json")
    assert opened.status_code == 200 and opened.json()["practice_open"] is True
    assert opened.json()["name"] == "焊工理论题库"
    code, out, _err = run_command("questions", "bank", "--occupation", bank.occupation, "--level", str(bank.level),
                                  "--practice", "closed", "--reason", "备赛")
    assert code == 0 and "未开放练兵" in out
    bank.refresh_from_db()
    assert not bank.practice_open
    code, out, _err = run_command("questions", "bank", "--occupation", bank.occupation, "--level", str(bank.level))
    assert code == 0 and "焊工理论题库" in out
    code, _out, err = run_command("questions", "bank", "--occupation", "9-99-99-99", "--level", "1")
    assert code == 1 and "没有" in err


def test_the_wrong_answer_book_opens_each_question_with_its_right_answer(practice_world):
    worker = practice_world["worker"]
    practice = services.start_practice(worker, practice_world["bank"], count=40)
    judge = practice.items.select_related("version").filter(version__type="judge").first()
    services.answer_practice(worker, judge, _wrong(judge))
    client = Client()
    client.force_login(practice_world["user"])
    page = client.get("/work/exams/practice/wrong/").content.decode()
    right = "正确" if judge.version.answer else "错误"
    assert 'class="flex-grow-1 wrong-entry"' in page and f"正确答案：\n  {right}" in page
    assert 'href="/work/exams/practice/"' in page and "return confirm(" in page


def test_a_short_round_says_why_and_a_round_offers_another(practice_world):
    client = Client()
    client.force_login(practice_world["user"])
    bank = practice_world["bank"]
    started = client.post("/work/exams/practice/start/", {"bank": bank.pk, "knowledge_point": "焊接安全",
                                                          "count": 50}, follow=True)
    page = started.content.decode()
    assert "这里只有 20 道题可练" in page and 'id="practice-next"' in page
    assert 'name="knowledge_point" value="焊接安全"' in page and 'name="count" value="20"' in page
    assert "答对 0 题，已答 0 题（共 20 题）" in page


@pytest.mark.django_db(transaction=True)
def test_a_practice_round_that_fails_half_way_leaves_nothing(practice_world, monkeypatch):
    from jingsai.exams.models import PracticeSet

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(PracticeItem.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        services.start_practice(practice_world["worker"], practice_world["bank"], count=10)
    assert not PracticeSet.objects.exists()


def test_a_round_answered_before_its_bank_closed_keeps_answers_back_afterwards(practice_world):
    """Regression: a practice round answered while its bank was open kept showing each
    question's right answer, verdict and explanation after the bank was closed to practice
    for an exam, on the page and through the API, so a worker could study the exam's
    answers there. The worker's own answers still show; the rest waits until it reopens."""
    from django.urls import reverse

    bank, user = practice_world["bank"], practice_world["user"]
    explanation = "直流反接时焊条接正极。"
    services.add_question(factories.actor(), bank, ex.question("single", kp="关闭前", explanation=explanation))
    practice = services.start_practice(user.person, bank, knowledge_point=bank.knowledge_points.get(name="关闭前"),
                                       count=1)
    item = practice.items.select_related("version").get()
    services.answer_practice(user.person, item, _right(item))
    client = Client()
    client.force_login(user)
    page = reverse("exams:practice_round", args=[practice.pk])
    assert explanation in client.get(page).content.decode()

    services.update_bank(None, bank, practice_open=False)
    shown = client.get(page).content.decode()
    assert explanation not in shown and "right-answer" not in shown and "practice-result" not in shown
    assert "不显示正确答案和解析" in shown
    body = client.get(f"/api/exams/practice/{practice.pk}").json()
    assert body["answers_kept"] is True
    (answered,) = [i for i in body["items"] if i.get("response") is not None]
    assert answered["response"] == _right(item)
    assert answered["answer"] is None and answered["explanation"] is None and answered["correct"] is None

    services.update_bank(None, bank, practice_open=True)
    assert explanation in client.get(page).content.decode()
    assert client.get(f"/api/exams/practice/{practice.pk}").json()["answers_kept"] is False


# ---------------------------------------------------------------- from a review of practice (2026-12-07)


def test_a_retired_question_leaves_the_wrong_answer_book_until_it_is_brought_back(practice_world):
    """Regression: a question answered wrong and then retired stayed in the book and its
    badge, with a "practise these again" button whose round said there was nothing to
    practise; review only offers active questions."""
    bank, worker = practice_world["bank"], practice_world["worker"]
    practice = services.start_practice(worker, bank, count=100)
    item = practice.items.select_related("version").filter(version__type="judge").first()
    services.answer_practice(worker, item, _wrong(item))
    assert services.wrong_count(worker) == 1
    question = item.version.question
    services.set_question_active(None, question, False)
    assert services.wrong_count(worker) == 0 and services.wrong_book(worker)[0] == []
    services.set_question_active(None, question, True)
    assert services.wrong_count(worker) == 1
    assert services.start_practice(worker, bank, mode="wrong").total == 1


def test_a_bank_that_is_not_a_number_or_too_big_for_the_database_is_no_server_error(practice_world):
    """Regression: the practice start page answered 500 to a bank that is not a number, and
    the activity page, its API and the command line to one larger than SQLite's integers."""
    client = Client(raise_request_exception=False)
    client.force_login(practice_world["user"])
    assert client.post("/work/exams/practice/start/", {"bank": "abc", "count": "10"}).status_code == 404
    organizer = factories.user(role=Role.ORGANIZER, org=practice_world["orgs"]["union"])
    client.force_login(organizer)
    huge = "99999999999999999999"
    assert client.get(f"/work/exams/practice/activity/?bank={huge}").status_code == 200
    response = client.get(f"/api/exams/practice/stats?bank={huge}")
    assert response.status_code == 200 and response.json()["rows"] == []
    from tests.commands import run_command

    code, _out, err = run_command("exams", "practice-stats", "--bank", huge)
    assert code != 0 and "题库" in err


def test_practice_stays_with_the_unit_it_was_done_at_when_the_worker_moves(practice_world):
    """Regression: the activity by unit followed the worker's employer now: a worker who
    moved from unit A to unit B took every round done at A to B's statistics, and A's
    contact no longer saw them. A round now counts for the unit the worker was at when it
    began."""
    bank, worker, orgs = practice_world["bank"], practice_world["worker"], practice_world["orgs"]
    practice = services.start_practice(worker, bank, count=5)
    for item in practice.items.select_related("version").exclude(version__type="short"):
        services.answer_practice(worker, item, _wrong(item))
    type(worker).objects.filter(pk=worker.pk).update(employer=orgs["unit_b"])
    worker.refresh_from_db()
    later = services.start_practice(worker, bank, count=3)
    services.answer_practice(worker, later.items.exclude(version__type="short").first(), "Z")
    for unit, rounds in ((orgs["unit_a"], 1), (orgs["unit_b"], 1)):
        contact = factories.user(role=Role.UNIT_CONTACT, org=unit)
        items, _days = services.practice_items(contact)
        assert [(r["name"], r["rounds"]) for r in services.practice_activity(items)] == [(unit.name, rounds)]
    everyone, _days = services.practice_items(None)
    assert sorted(r["name"] for r in services.practice_activity(everyone)) == sorted([orgs["unit_a"].name,
                                                                                     orgs["unit_b"].name])


def test_a_knowledge_point_the_bank_does_not_have_is_refused_not_a_round_over_the_whole_bank(practice_world):
    """Regression: the API (and the page, from a stale form) took a knowledge point name the
    bank does not have as no knowledge point at all, and drew from the whole bank."""
    client = Client()
    client.force_login(practice_world["user"])
    bank = practice_world["bank"]
    response = client.post("/api/exams/practice", {"bank": bank.pk, "knowledge_point": "焊接安全 ", "count": 5},
                           content_type="application/json")
    assert response.status_code == 201  # spaces around a name are not part of it
    response = client.post("/api/exams/practice", {"bank": bank.pk, "knowledge_point": "不存在", "count": 5},
                           content_type="application/json")
    assert response.status_code == 400 and response.json()["detail"] == "题库中没有知识点“不存在”。"
    page = client.post("/work/exams/practice/start/", {"bank": bank.pk, "knowledge_point": "不存在"}, follow=True)
    assert "题库中没有知识点“不存在”。" in page.content.decode()


def test_practice_counts_for_the_groups_the_worker_was_in_when_they_practised(practice_world):
    """Regression: activity by group followed the worker's groups now: a young worker who
    turned 36 (青年职工 no more) took every round they had practised as one with them into
    their new group, and the youth group's statistics lost them. A round now keeps the groups
    of when it began, as it keeps the unit."""
    from django.apps import apps
    from django.db import connection

    from jingsai.people.models import GroupTag

    bank, worker = practice_world["bank"], practice_world["worker"]
    youth, migrant = (GroupTag.objects.get_or_create(code=code, defaults={"name": name})[0]
                      for code, name in (("test-youth", "测试青年"), ("test-migrant", "测试农民工")))
    worker.groups.set([youth])
    first = services.start_practice(worker, bank, count=3)
    worker.groups.set([migrant])
    second = services.start_practice(worker, bank, count=3)
    for practice in (first, second):
        for item in practice.items.select_related("version").exclude(version__type="short"):
            services.answer_practice(worker, item, _right(item))
    rows = {r["name"]: r["rounds"] for r in services.practice_activity(PracticeItem.objects.all(), by="group")}
    assert rows["测试青年"] == 1 and rows["测试农民工"] == 1

    # Rounds from before the groups were kept take the worker's groups now (the migration).
    migration = __import__("jingsai.exams.migrations.0013_practice_round_groups", fromlist=["groups_as_now"])
    type(first).groups.through.objects.all().delete()

    class Editor:  # the two things the function asks of a schema editor, inside the test's transaction
        quote_name = staticmethod(connection.ops.quote_name)

        @staticmethod
        def execute(sql):
            with connection.cursor() as cursor:
                cursor.execute(sql)

    migration.groups_as_now(apps, Editor())
    assert set(first.groups.values_list("name", flat=True)) == {"测试农民工"}
