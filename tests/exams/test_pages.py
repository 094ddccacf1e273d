"""The pages, as organizers, invigilators, graders and candidates use them."""

import datetime
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from jingsai.exams import services
from jingsai.exams.models import Attempt, ExamSession, Question
from tests.commands import run_command
from tests.exams import factories as ex

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"


_client = ex.logged_in


@pytest.fixture
def world():
    return ex.exam_with_organizer()


def _handed_in_with_a_short_answer(world, text="先断电"):
    """The first candidate's attempt, one short answer written, handed in: (attempt, that item)."""
    user, _entry = world["candidates"][0]
    attempt = services.start(user, world["session"], device="d")
    short = attempt.items.select_related("version").filter(version__type="short").first()
    services.save_answers(attempt.pk, "d", [(short.position, 1, json.dumps(text))])
    services.submit(user, attempt, device="d")
    return attempt, short


def test_organizer_imports_edits_and_exports_questions(world):
    client = _client(world["organizer"])
    bank = world["bank"]
    bad = client.post(f"/work/exams/banks/{bank.pk}/import/",
                      {"file": SimpleUploadedFile("bad.gift", (DATA / "gift_bad.gift").read_bytes())})
    assert bad.status_code == 200 and "无法导入" in bad.content.decode()
    before = Question.objects.filter(bank=bank).count()
    good = client.post(f"/work/exams/banks/{bank.pk}/import/",
                       {"file": SimpleUploadedFile("sample.xml", (DATA / "moodle_sample.xml").read_bytes())})
    assert good.status_code == 302 and Question.objects.filter(bank=bank).count() == before + 7
    added = client.post(f"/work/exams/banks/{bank.pk}/questions/new/", {
        "type": "single", "difficulty": 3, "stem": "焊条烘干的目的是？", "option_A": "去除水分", "option_B": "增加重量",
        "answer": "A", "knowledge_point": "焊接材料", "pictures": SimpleUploadedFile("a.png", b"not a picture"),
    })
    assert "不是 PNG" in added.content.decode()
    added = client.post(f"/work/exams/banks/{bank.pk}/questions/new/", {
        "type": "single", "difficulty": 3, "stem": "焊条烘干的目的是？", "option_A": "去除水分", "option_B": "增加重量",
        "answer": "A", "knowledge_point": "焊接材料",
    })
    question = Question.objects.get(bank=bank, current__stem="焊条烘干的目的是？")
    assert added.status_code == 302
    edit = client.post(f"/work/exams/questions/{question.pk}/edit/", {
        "type": "single", "difficulty": 2, "stem": "焊条使用前烘干的目的是？", "option_A": "去除水分",
        "option_B": "增加重量", "answer": "A", "knowledge_point": "焊接材料", "reason": "措辞",
    })
    assert edit.status_code == 302
    page = client.get(f"/work/exams/questions/{question.pk}/").content.decode()
    assert "焊条使用前烘干的目的是？" in page
    listing = client.get(f"/work/exams/banks/{bank.pk}/?type=single&q=烘干").content.decode()
    assert "焊条使用前烘干" in listing
    export = client.get(f"/work/exams/banks/{bank.pk}/export/?format=gift")
    assert "焊条使用前烘干的目的是？" in export.content.decode()


def test_organizer_sets_up_a_paper_and_a_session(world):
    client = _client(world["organizer"])
    code = world["competition"].code
    refused = client.post("/work/exams/papers/new/", {
        "competition": code, "name": "决赛理论", "bank": world["bank"].pk, "kind": "blueprint",
        "section-0-type": "single", "section-0-count": "50", "section-0-points": "1",
    })
    assert "需要 50 道题，题库只能提供 12 道" in refused.content.decode()
    created = client.post("/work/exams/papers/new/", {
        "competition": code, "name": "决赛理论", "bank": world["bank"].pk, "kind": "blueprint",
        "section-0-type": "single", "section-0-count": "10", "section-0-points": "2",
        "section-1-type": "judge", "section-1-count": "6", "section-1-points": "1", "section-1-kp": "焊接安全",
    })
    assert created.status_code == 302
    paper = world["competition"].exam_papers.get(name="决赛理论")
    assert "26" in client.get(created["Location"]).content.decode()
    now = timezone.localtime()
    session = client.post("/work/exams/sessions/new/", {
        "competition": code, "name": "决赛理论考试", "paper": paper.pk, "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"), "duration_minutes": 90,
        "grace_seconds": 30, "graders_per_answer": 2, "disagreement_percent": 20, "show_score": "on",
    })
    assert session.status_code == 302
    assert world["competition"].exam_sessions.filter(name="决赛理论考试", duration_minutes=90).exists()


def test_candidate_takes_the_exam_without_javascript_and_sees_the_score(world):
    user, entry = world["candidates"][0]
    client = _client(user)
    session = world["session"]
    assert "开始考试" in client.get(f"/work/exams/take/{session.pk}/").content.decode()
    client.post(f"/work/exams/take/{session.pk}/start/")
    page = client.get(f"/work/exams/take/{session.pk}/").content.decode()
    assert 'id="exam-config"' in page and "交卷" in page
    attempt = Attempt.objects.get(entry=entry)
    judge = attempt.items.select_related("version").filter(version__type="judge").first()
    services.save_answers(attempt.pk, attempt.device, [(judge.position, 1, json.dumps(judge.version.answer))])
    page = client.get(f"/work/exams/take/{session.pk}/").content.decode()
    assert page.count("checked") == 1
    other = Client()
    other.force_login(user)
    assert "另一台设备" in other.get(f"/work/exams/take/{session.pk}/").content.decode()
    client.post(f"/work/exams/take/{session.pk}/submit/")
    done = client.get(f"/work/exams/take/{session.pk}/").content.decode()
    assert "你的试卷已交" in done and "得分" in done
    mine = client.get("/work/exams/mine/").content.decode()
    assert session.name in mine and "已评分" in mine


def test_invigilator_watches_extends_and_ends(world):
    user, _entry = world["candidates"][0]
    attempt = services.start(user, world["session"], device="d")
    client = _client(world["invigilator"])
    rows = client.get(f"/work/exams/sessions/{world['session'].pk}/monitor/", HTTP_HX_REQUEST="true")
    body = rows.content.decode()
    assert "<html" not in body and "作答中" in body and "未开始" in body
    client.post(f"/work/exams/attempts/{attempt.pk}/extend/", {"minutes": 10, "reason": "停电"})
    attempt.refresh_from_db()
    assert attempt.deadline == attempt.started_at + datetime.timedelta(minutes=70)
    client.post(f"/work/exams/attempts/{attempt.pk}/end/", {"reason": ""})
    attempt.refresh_from_db()
    assert attempt.status == "in_progress"
    client.post(f"/work/exams/attempts/{attempt.pk}/end/", {"reason": "作弊"})
    attempt.refresh_from_db()
    assert attempt.ended_by == "invigilator"
    review = client.get(f"/work/exams/attempts/{attempt.pk}/").content.decode()
    assert "延长时间" in review and "作弊" in review
    results = client.get(f"/work/exams/sessions/{world['session'].pk}/results.xlsx")
    assert results.status_code == 200


def test_grader_sees_answers_blind(world):
    _user, entry = world["candidates"][0]
    attempt, short = _handed_in_with_a_short_answer(world)
    grader = world["graders"][0]
    client = _client(grader)
    page = client.get(f"/work/exams/sessions/{world['session'].pk}/grade/").content.decode()
    assert "先断电" in page and attempt.blind_code in page
    assert entry.person.name not in page and entry.unit.name not in page
    client.post(f"/work/exams/sessions/{world['session'].pk}/grade/", {"item": short.pk, "score": "6"})
    assert "没有等待你评阅的答案" in client.get(f"/work/exams/sessions/{world['session'].pk}/grade/").content.decode()


def test_question_pictures_are_served_with_permission(world, make):
    bank = world["bank"]
    services.import_questions(None, bank, (DATA / "moodle_sample.xml").read_bytes(), filename="s.xml")
    picture = bank.images.get()
    url = f"/work/exams/images/{picture.pk}/"
    assert _client(world["organizer"]).get(url)["Content-Type"] == "image/png"
    services.update_bank(None, bank, practice_open=False)
    stranger = make.user(person=make.person())
    assert _client(stranger).get(url).status_code == 404
    assert Client().get(url).status_code == 302


def test_the_editor_and_the_api_take_wildcard_answers(world):
    """In the editor (as in the files) * stands for any characters and \\* for an asterisk;
    the API says it with a wildcard flag, and refuses a flag that is not true or false."""
    client = _client(world["organizer"])
    bank = world["bank"]
    added = client.post(f"/work/exams/banks/{bank.pk}/questions/new/", {
        "type": "fill", "difficulty": 3, "stem": "E5015 焊条的药皮属于____型。", "answer": "低氢*|%50%碱性\\*",
        "knowledge_point": "焊接材料",
    })
    assert added.status_code == 302
    question = Question.objects.get(bank=bank, current__stem="E5015 焊条的药皮属于____型。")
    assert question.current.answer == [[{"text": "低氢*", "fraction": "1", "wildcard": True},
                                        {"text": "碱性*", "fraction": "0.5"}]]
    assert "低氢*|%50%碱性\\*" in client.get(f"/work/exams/questions/{question.pk}/").content.decode()

    body = {"type": "fill", "stem": "保护气体是____。", "answer": [[{"text": "氩*", "wildcard": True}, "Ar*"]]}
    made = client.post(f"/api/exams/banks/{bank.pk}/questions", body, content_type="application/json")
    assert made.status_code == 201, made.content
    assert made.json()["current"]["answer"] == [[{"text": "氩*", "fraction": "1", "wildcard": True},
                                                 {"text": "Ar*", "fraction": "1"}]]  # a plain string is the text
    body["answer"] = [[{"text": "氩*", "wildcard": "yes"}]]
    refused = client.post(f"/api/exams/banks/{bank.pk}/questions", body, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["detail"] == "试题未保存。"
    assert "只能是 true 或 false" in refused.json()["problems"][0]["message"]


def test_the_workers_home_page_keeps_the_exam_until_they_hand_in_themselves(world):
    (first, _e1), (second, _e2) = world["candidates"]
    session = world["session"]
    other = services.start(second, session, device="d2")
    services.submit(second, other, device="d2")
    client = _client(first)
    link = f"/work/exams/take/{session.pk}/"
    assert link in client.get("/work/").content.decode()  # someone else handing in hides nothing
    mine = services.start(first, session, device="d1")
    assert link in client.get("/work/").content.decode()  # started, not yet handed in: still there
    services.submit(first, mine, device="d1")
    assert link not in client.get("/work/").content.decode()


def test_words_shared_with_other_apps_are_translated_for_exams(world):
    client = _client(world["organizer"])
    banks = client.get("/work/exams/banks/").content.decode()
    assert "<th>名称</th>" in banks and "已开放" in banks and "<th>姓名</th>" not in banks
    form = client.get(f"/work/exams/papers/new/?competition={world['competition'].code}").content.decode()
    assert ">名称</label>" in form and "<th>大题标题</th>" in form
    stats = client.get("/work/exams/practice/activity/").content.decode()
    assert "练习次数" in stats


def test_the_live_list_pauses_while_an_action_is_open_and_ending_asks_first(world):
    user, _entry = world["candidates"][0]
    attempt = services.start(user, world["session"], device="d")
    client = _client(world["invigilator"])
    page = client.get(f"/work/exams/sessions/{world['session'].pk}/monitor/").content.decode()
    assert "every 5s [!this.querySelector('details[open]')]" in page
    # A row's actions are fetched when opened, and come back to the list as it was.
    assert f'hx-get="/work/exams/attempts/{attempt.pk}/actions/?next=' in page and "return confirm(" not in page
    actions = client.get(f"/work/exams/attempts/{attempt.pk}/actions/",
                         {"next": f"/work/exams/sessions/{world['session'].pk}/monitor/?show=in_progress"})
    body = actions.content.decode()
    assert "return confirm(" in body and "现在收取" in body and "<html" not in body
    assert f'value="/work/exams/sessions/{world["session"].pk}/monitor/?show=in_progress"' in body
    assert _client(user).get(f"/work/exams/attempts/{attempt.pk}/actions/").status_code == 403
    review = client.get(f"/work/exams/attempts/{attempt.pk}/").content.decode()
    assert "return confirm(" in review and "分钟（负数为缩短）" in review


def test_the_review_shows_the_right_answers_to_organizers_and_to_the_others_after_the_exam_closes(world):
    user, _entry = world["candidates"][0]
    session = world["session"]
    attempt = services.start(user, session, device="d")
    judge = attempt.items.select_related("version").filter(version__type="judge").first()
    wrong = not judge.version.answer
    services.save_answers(attempt.pk, "d", [(judge.position, 1, json.dumps(wrong))])
    services.submit(user, attempt, device="d")
    url = f"/work/exams/attempts/{attempt.pk}/"
    staff = _client(world["organizer"]).get(url).content.decode()
    assert staff.count("right-answer") == 14 and "正确答案" in staff and "参考答案" in staff and "作答：" in staff
    invigilator = _client(world["invigilator"])
    assert "right-answer" not in invigilator.get(url).content.decode()  # not while candidates answer
    own = _client(user)
    page = own.get(url).content.decode()
    assert "right-answer" not in page and "都结束后" in page
    second, other_entry = world["candidates"][1]
    services.set_allowance(world["invigilator"], session, other_entry, 60, reason="听障")
    still = services.start(second, session, device="d2")
    session.closes_at = timezone.now() - datetime.timedelta(minutes=1)
    session.save(update_fields=["closes_at"])
    assert "right-answer" not in own.get(url).content.decode()  # closed, but someone is still answering
    services.submit(second, still, device="d2")
    assert own.get(url).content.decode().count("right-answer") == 14
    assert invigilator.get(url).content.decode().count("right-answer") == 14
    session.show_score = False
    session.save(update_fields=["show_score"])
    assert "right-answer" not in own.get(url).content.decode()


def test_a_refused_mark_comes_back_with_what_the_grader_typed(world):
    _attempt, short = _handed_in_with_a_short_answer(world)
    client = _client(world["graders"][0])
    url = f"/work/exams/sessions/{world['session'].pk}/grade/"
    page = client.post(url, {"item": short.pk, "score": "25", "comment": "要点齐全，但超出满分"})
    body = page.content.decode()
    assert page.status_code == 200 and "得分须在 0 到" in body
    assert "要点齐全，但超出满分" in body and 'value="25"' in body and "先断电" in body
    short.refresh_from_db()
    assert short.needs_grading and not short.gradings.exists()
    assert f'href="{url}"' in client.get("/work/").content.decode()  # the home page's card leads to the queue


def test_my_exams_list_what_can_still_be_taken_first(world):
    user, _entry = world["candidates"][0]
    session = world["session"]
    past = ex.session(world["competition"], world["paper"], opens=timezone.now() - datetime.timedelta(days=3),
                      closes_at=timezone.now() - datetime.timedelta(days=2))
    past.name = "上月模拟考试"
    past.save(update_fields=["name"])
    page = _client(user).get("/work/exams/mine/").content.decode()
    assert page.index(session.name) < page.index("上月模拟考试")


def test_my_exams_through_the_api_as_the_page_lists_them(world):
    """The page listed a worker's exams, but an API client had no way to find the sittings
    it could start. GET /api/exams/mine lists them in the page's order, with where each
    window stands and the worker's attempt, its score only once graded where the exam
    shows scores (which the page's list now shows too, where it had to be opened)."""
    (user, _entry), (other, _other_entry) = world["candidates"]
    session = world["session"]
    past = ex.session(world["competition"], world["paper"], name="上月模拟考试",
                      opens=timezone.now() - datetime.timedelta(days=3),
                      closes_at=timezone.now() - datetime.timedelta(days=2))
    attempt = services.start(user, session, device="d")
    listed = _client(user).get("/api/exams/mine").json()
    assert [(row["session"], row["window"]) for row in listed] == [(session.pk, "open"), (past.pk, "closed")]
    assert listed[0]["attempt"] == {"id": attempt.pk, "status": "in_progress", "score": None, "max_score": None}
    assert listed[1]["attempt"] is None
    page = _client(user).get("/work/exams/mine/").content.decode()
    assert page.index(session.name) < page.index("上月模拟考试")
    # Handed in, and its short answers graded.
    services.submit(user, attempt, device="d")
    for grader in world["graders"]:
        while (item := services.next_to_grade(session, grader)) is not None:
            services.grade(grader, item, "0")
    attempt.refresh_from_db()
    assert attempt.status == "graded"
    mine = _client(user).get("/api/exams/mine").json()
    # Over for them now: listed with the exams that are over, latest first.
    assert [row["session"] for row in mine] == [session.pk, past.pk]
    scored = mine[0]["attempt"]
    assert (scored["score"], scored["max_score"]) == (str(attempt.score), str(attempt.max_score))
    shown = f'<span class="my-score">得分：<strong>{attempt.score}</strong> / {attempt.max_score}</span>'
    assert shown in _client(user).get("/work/exams/mine/").content.decode()  # the page says it too
    ExamSession.objects.filter(pk=session.pk).update(show_score=False)
    assert _client(user).get("/api/exams/mine").json()[0]["attempt"]["score"] is None
    assert 'class="my-score"' not in _client(user).get("/work/exams/mine/").content.decode()
    # Another worker sees their own: the same sittings, no attempt of theirs.
    assert [row["attempt"] for row in _client(other).get("/api/exams/mine").json()] == [None, None]


def test_the_paper_form_starts_as_a_blueprint_and_keeps_what_was_typed_after_a_refusal(world):
    client = _client(world["organizer"])
    code = world["competition"].code
    form = client.get(f"/work/exams/papers/new/?competition={code}").content.decode()
    assert '<option value="blueprint" selected>' in form
    assert f'<option value="{world["bank"].pk}" selected>' in form
    refused = client.post("/work/exams/papers/new/", {
        "competition": code, "name": "决赛理论", "bank": world["bank"].pk, "kind": "blueprint",
        "shuffle_options": "on",
        "section-0-title": "一、单选", "section-0-type": "single", "section-0-count": "50", "section-0-points": "1",
        "section-1-type": "judge", "section-1-kp": "焊接安全", "section-1-difficulty": "2",
        "section-1-count": "3", "section-1-points": "2",
    }).content.decode()
    assert "需要 50 道题" in refused
    assert 'value="一、单选"' in refused and 'value="50"' in refused and 'value="焊接安全"' in refused
    assert '<option value="judge" selected>' in refused and '<option value="2" selected>' in refused
    assert 'id="sq" checked' not in refused and 'id="so" checked' in refused


def test_the_live_list_counts_the_hall_and_filters_by_state(world):
    (first, _e1), (second, _e2) = world["candidates"]
    services.start(first, world["session"], device="d")
    client = _client(world["invigilator"])
    url = f"/work/exams/sessions/{world['session'].pk}/monitor/"
    page = client.get(url).content.decode()
    assert "所有人 2" in page and "作答中 1" in page and "未开始 1" in page and "已交卷 0" in page
    answering = client.get(url + "?show=in_progress", HTTP_HX_REQUEST="true").content.decode()
    assert first.person.name in answering and second.person.name not in answering
    assert "<html" not in answering and 'id="monitor-totals"' in answering
    nobody = client.get(url + "?show=handed_in").content.decode()
    assert "此刻没有人在这一组" in nobody and f'hx-get="{url}?show=handed_in"' in nobody


def test_papers_are_listed_and_lead_to_their_sessions_and_a_new_one(world):
    client = _client(world["organizer"])
    paper, session = world["paper"], world["session"]
    listing = client.get("/work/exams/sessions/").content.decode()
    assert 'id="papers"' in listing and f'href="/work/exams/papers/{paper.pk}/"' in listing
    page = client.get(f"/work/exams/papers/{paper.pk}/").content.decode()
    assert f'href="/work/exams/sessions/{session.pk}/"' in page and 'href="/work/exams/sessions/"' in page
    new = f"/work/exams/sessions/new/?competition={world['competition'].code}&paper={paper.pk}"
    assert new.replace("&", "&amp;") in page
    form = client.get(new).content.decode()
    assert f'<option value="{paper.pk}" selected>' in form and 'name="reason"' not in form


def test_the_list_of_exam_sessions_says_which_are_open_now(world):
    """The list named each session with its window only: an invigilator looking for the
    sitting under way had to compare the times with the clock."""
    import re

    later = ex.session(world["competition"], world["paper"], name="补考场",
                       opens=timezone.now() + datetime.timedelta(days=2))
    earlier = ex.session(world["competition"], world["paper"], name="上一场",
                         opens=timezone.now() - datetime.timedelta(days=2))
    page = _client(world["organizer"]).get("/work/exams/sessions/").content.decode()

    def state(session):
        row = re.search(rf'<tr><td><a href="/work/exams/sessions/{session.pk}/">.*?</tr>', page, re.S).group()
        return re.search(r'<td class="session-state"><span class="badge[^"]*">([^<]+)</span>', row).group(1)

    assert [state(s) for s in (world["session"], later, earlier)] == ["正在进行", "未开始", "已关闭"]
    # The API and the command line say the same.
    api = _client(world["organizer"]).get(f"/api/exams/sessions?competition={world['competition'].code}").json()
    assert {row["id"]: row["window"] for row in api} == {
        world["session"].pk: "open", later.pk: "not_open", earlier.pk: "closed"}
    code, out, err = run_command("exams", "sessions", world["competition"].code)
    assert code == 0, err
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert "（正在进行）" in lines[str(world["session"].pk)] and "（未开始）" in lines[str(later.pk)]
    assert "（已关闭）" in lines[str(earlier.pk)]


def test_the_session_page_shows_its_graders_and_their_marks(world):
    _handed_in_with_a_short_answer(world)
    first = world["graders"][0]
    services.grade(first, services.next_to_grade(world["session"], first), "6")
    page = _client(world["organizer"]).get(f"/work/exams/sessions/{world['session'].pk}/").content.decode()
    graders = page[page.index('id="graders"'):]
    assert f"{first.username} · 1 份评分" in graders or f"{first.get_full_name()} · 1 份评分" in graders
    assert graders.count("份评分") == 3 and 'href="/accounts/users/"' in graders



def test_a_mark_for_an_answer_another_grader_has_finished_is_refused_with_a_message(world):
    world["session"].graders_per_answer = 1
    world["session"].save(update_fields=["graders_per_answer"])
    _attempt, short = _handed_in_with_a_short_answer(world)
    first, second = world["graders"][:2]
    services.grade(second, short, "7")  # while the first grader was still reading it
    url = f"/work/exams/sessions/{world['session'].pk}/grade/"
    page = _client(first).post(url, {"item": short.pk, "score": "6"}, follow=True).content.decode()
    assert "这道题已阅完" in page


def test_the_graders_card_leads_to_the_list_when_two_exams_wait(world):
    _handed_in_with_a_short_answer(world)
    again = ex.session(world["competition"], world["paper"])
    second, _entry = world["candidates"][1]
    attempt = services.start(second, again, device="d2")
    short = attempt.items.select_related("version").filter(version__type="short").first()
    services.save_answers(attempt.pk, "d2", [(short.position, 1, json.dumps("先断电"))])
    services.submit(second, attempt, device="d2")
    home = _client(world["graders"][0]).get("/work/").content.decode()
    assert 'href="/work/exams/sessions/"' in home and "/grade/" not in home


def test_the_live_list_shows_a_page_at_a_time_and_finds_a_candidate(world, monkeypatch):
    """A hall of 2,000 was rendered whole every five seconds for each invigilator (most of
    a second and 3.6 MB each time, bench figures in the closing note): the list now shows a
    page of rows, and finds a candidate by entry number, name or unit."""
    from jingsai.exams import views

    monkeypatch.setattr(views, "MONITOR_PAGE", 1)
    (first, _e), (second, second_entry) = world["candidates"]
    services.start(first, world["session"], device="d")
    client = _client(world["invigilator"])
    url = f"/work/exams/sessions/{world['session'].pk}/monitor/"
    page = client.get(url).content.decode()
    assert first.person.name in page and second.person.name not in page
    assert 'id="monitor-range"' in page and "所有人 2" in page  # the counts are of everyone
    second_page = client.get(url + "?page=2", HTTP_HX_REQUEST="true").content.decode()
    assert second.person.name in second_page and first.person.name not in second_page
    full = client.get(url + "?page=2").content.decode()
    assert f'hx-get="{url}?page=2"' in full  # the refresh stays on the page shown
    found = client.get(url, {"q": str(second_entry.number)}).content.decode()
    assert second.person.name in found and first.person.name not in found and 'id="monitor-range"' not in found
    by_name = client.get(url, {"q": first.person.name, "show": "in_progress"}, HTTP_HX_REQUEST="true")
    assert first.person.name in by_name.content.decode()
    nobody = client.get(url, {"q": "无此人"}).content.decode()
    assert "没有与“无此人”相符的考生" in nobody


def test_ending_or_extending_from_a_searched_group_comes_back_to_it(world):
    """Regression: the actions' `next` was the list's address HTML-escaped before it was
    URL-encoded, so "&" came back as "&amp;": after extending from a search within a group
    the invigilator landed on the whole list ("amp;q" is no parameter)."""
    import html
    import re
    from urllib.parse import parse_qs, urlsplit

    (first, _e), _second = world["candidates"]
    attempt = services.start(first, world["session"], device="d")
    client = _client(world["invigilator"])
    url = f"/work/exams/sessions/{world['session'].pk}/monitor/"
    page = client.get(url, {"show": "in_progress", "q": first.person.name}).content.decode()
    actions = html.unescape(re.search(r'<details hx-get="([^"]+)"', page).group(1))
    back = parse_qs(urlsplit(actions).query)["next"][0]
    form = client.get(f"/work/exams/attempts/{attempt.pk}/actions/", {"next": back}).content.decode()
    posted = html.unescape(re.search(r'name="next" value="([^"]+)"', form).group(1))
    after = client.post(f"/work/exams/attempts/{attempt.pk}/extend/",
                        {"minutes": "5", "reason": "停电", "next": posted})
    assert urlsplit(after["Location"]).path == url
    assert parse_qs(urlsplit(after["Location"]).query) == {"show": ["in_progress"], "q": [first.person.name]}
    searched = client.get(url, {"q": '"><script>alert(1)</script>'}).content.decode()
    assert "<script>alert(1)" not in searched
