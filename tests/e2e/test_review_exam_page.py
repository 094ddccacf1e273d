"""Review of the candidate's exam page (take.js and the save / heartbeat / submit API):
"no answer ever lost", the clock, several tabs and devices, and accessibility.

Each "Regression" test failed before its fix; the others pin behaviour that is right."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from jingsai.accounts.models import Role
from jingsai.exams import services
from jingsai.exams.models import Answer, Attempt
from tests import factories
from tests.e2e.conftest import login
from tests.exams import factories as ex

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
# Positions on the paper below (questions not shuffled): 0, 1 single choice; 2 multiple
# choice; 3 fill-in; 4, 5, 6 short answer.
SHORT = (4, 5, 6)


@pytest.fixture
def world():
    orgs = factories.tree()
    competition = factories.competition(host=orgs["union"], status="in_progress")
    bank = ex.bank(owner=orgs["union"])
    ex.fill_bank(bank, per_type=3, kps=("焊接安全",))
    paper = ex.paper(competition, bank, [
        {"type": "single", "count": 2, "points": "10"}, {"type": "multiple", "count": 1, "points": "20"},
        {"type": "fill", "count": 1, "points": "10"}, {"type": "short", "count": 3, "points": "20"},
    ], shuffle_questions=False)
    session = ex.session(competition, paper, minutes=30)
    person = factories.person(employer=orgs["unit_a"], name="王考生")
    factories.entry(competition, person)
    factories.user("kaosheng", person=person)
    invigilator = factories.user("jiankao", role=Role.INVIGILATOR, competition=competition)
    return {"session": session, "competition": competition, "invigilator": invigilator}


def _open_exam(page, session):
    login(page, "kaosheng")
    page.goto(f"/work/exams/take/{session.pk}/")
    page.click("#start-exam")
    expect(page.locator("#timer")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    return Attempt.objects.get()


def _stored(attempt):
    return {a.position: (a.seq, a.response) for a in Answer.objects.filter(attempt=attempt)}


def _set_deadline(attempt, seconds):
    """Move the attempt's deadline to `seconds` from now (the grace period follows)."""
    deadline = timezone.now() + datetime.timedelta(seconds=seconds)
    Attempt.objects.filter(pk=attempt.pk).update(
        deadline=deadline, accept_until=deadline + datetime.timedelta(seconds=attempt.session.grace_seconds))


# ---------------------------------------------------------------- answers typed just before the end


def test_text_typed_just_before_a_reload_survives_it(world, new_page):
    """Regression: typed text waits 800 ms in a debounce timer before it reaches the localStorage
    queue; a reload (or closing the tab) within that time loses it, with no pagehide flush."""
    page = new_page(**PHONE)
    attempt = _open_exam(page, world["session"])
    page.locator("#q4 textarea").fill("先切断电源，再施救。")
    page.reload()
    expect(page.locator("#timer")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    expect(page.locator("#q4 textarea")).to_have_value("先切断电源，再施救。", timeout=5000)
    expect(page.locator("#save-status")).to_have_text("答案已全部保存")
    assert _stored(attempt).get(4, (0, None))[1] == "先切断电源，再施救。"


def test_text_typed_as_the_time_runs_out_is_handed_in(world, new_page):
    """Regression: at time-up the page handed in the queue only; text typed within the
    last 0.8 s (still waiting for the typing to pause) was left out of the paper."""
    page = new_page(**PHONE)
    attempt = _open_exam(page, world["session"])
    _set_deadline(attempt, 4)  # under the 20-second heartbeat, which would move the clock
    page.reload()
    expect(page.locator("#timer")).to_have_text("00:01", timeout=8000)
    page.locator("#q4 textarea").fill("先切断电源，再施救。")  # typed in the last second
    expect(page.locator("#handed-in")).to_be_visible(timeout=15000)
    attempt.refresh_from_db()
    assert attempt.status != "in_progress"
    assert _stored(attempt).get(4, (0, None))[1] == "先切断电源，再施救。"


def test_extra_time_given_shortly_before_the_end_is_not_lost_to_the_page_s_own_clock(world, new_page):
    """Regression: when its own countdown reaches 0 the page hands in at once, as the candidate,
    without asking the server: extra time given since the last heartbeat (every 20 s) is
    thrown away and the attempt is recorded as handed in by the candidate."""
    page = new_page(**PHONE)
    attempt = _open_exam(page, world["session"])
    _set_deadline(attempt, 5)
    page.reload()
    expect(page.locator("#timer")).to_have_text(re.compile(r"^00:0[3-5]$"))
    attempt.refresh_from_db()
    services.extend(world["invigilator"], attempt, 10, reason="停电")
    page.wait_for_timeout(8000)  # past the page's old end, before its next heartbeat
    attempt.refresh_from_db()
    assert (attempt.status, attempt.ended_by) == ("in_progress", "")


def test_a_paper_handed_in_by_the_page_at_time_up_is_recorded_as_a_time_out(world, new_page):
    """Regression: the page's automatic hand-in at time-up posts a plain submit, which the server
    records (and shows the candidate) as "Submitted by the candidate", not as the time-out."""
    page = new_page(**PHONE)
    attempt = _open_exam(page, world["session"])
    _set_deadline(attempt, 3)
    page.reload()
    expect(page.locator("#handed-in")).to_be_visible(timeout=15000)
    attempt.refresh_from_db()
    assert attempt.ended_by == "timeout"


# ---------------------------------------------------------------- sequence numbers: tabs and devices


def test_an_answer_changed_in_a_second_tab_then_in_the_first_is_saved(world, new_page):
    """Regression: each tab counts seq from what it loaded; the first tab's later change gets a seq
    the second tab already used, the server keeps the older answer, and the first tab
    still says "All answers saved"."""
    first = new_page(**PHONE)
    attempt = _open_exam(first, world["session"])
    status = first.locator("#save-status")
    first.locator("#q0 .option").nth(0).click()
    expect(status).to_have_text("答案已全部保存")
    second = first.context.new_page()  # the same phone, a second tab (same device cookie)
    second.goto(f"/work/exams/take/{world['session'].pk}/")
    second.locator("#q0 .option").nth(1).click()
    expect(second.locator("#save-status")).to_have_text("答案已全部保存")
    first.bring_to_front()
    first.locator("#q0 .option").nth(2).click()  # the candidate's last word on question 1
    expect(status).to_have_text("答案已全部保存")
    chosen = first.locator("#q0 input").nth(2).get_attribute("value")
    assert _stored(attempt)[0][1] == chosen


def test_answers_left_unsent_on_an_old_phone_do_not_replace_newer_ones_from_the_new_one(world, new_page):
    """Regression: seq numbers from two devices are not comparable: an old phone's unsent answers
    (more clicks, so a higher seq) overwrite the newer answer given on the second device
    once the candidate continues on the old phone again."""
    old = new_page(**PHONE)
    attempt = _open_exam(old, world["session"])
    old.locator("#q0 .option").nth(0).click()
    expect(old.locator("#save-status")).to_have_text("答案已全部保存")
    old.context.set_offline(True)
    for option in (1, 0, 1):  # changes of mind without a connection: queued, seq 2..4
        old.locator("#q0 .option").nth(option).click()
    expect(old.locator("#save-status")).to_contain_text("网络中断")

    new = new_page(**PHONE)  # the phone dies; the candidate continues on another one
    login(new, "kaosheng")
    new.goto(f"/work/exams/take/{world['session'].pk}/")
    new.get_by_role("button", name="在本设备继续").click()
    new.locator("#q0 .option").nth(3).click()
    expect(new.locator("#save-status")).to_have_text("答案已全部保存")
    newest = new.locator("#q0 input").nth(3).get_attribute("value")
    new.close()

    old.context.set_offline(False)  # back on the first phone
    old.goto(f"/work/exams/take/{world['session'].pk}/")
    old.get_by_role("button", name="在本设备继续").click()
    expect(old.locator("#save-status")).to_have_text("答案已全部保存")
    assert _stored(attempt)[0][1] == newest


# ---------------------------------------------------------------- what the page can send


def test_long_answers_written_offline_are_sent_when_the_connection_is_back(world, new_page):
    """Regression: saves use fetch(keepalive: true), which Chromium refuses for a body over 64 KB:
    a queue of long answers (each well inside the server's 20 000 characters) never
    leaves the phone, and the page says "no connection" for ever."""
    page = new_page(**PHONE)
    attempt = _open_exam(page, world["session"])
    status = page.locator("#save-status")
    page.context.set_offline(True)
    essay = "焊接作业前应检查设备接地、绝缘和通风情况。" * 450  # 9 450 characters, 28 KB in UTF-8
    for position in SHORT:
        page.locator(f"#q{position} textarea").fill(essay)
        page.locator(f"#q{position} textarea").blur()
    expect(status).to_contain_text("网络中断")
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(status).to_have_text("答案已全部保存", timeout=20000)
    assert {p: len(r or "") for p, (_s, r) in _stored(attempt).items()} == dict.fromkeys(SHORT, len(essay))


def test_one_answer_the_server_refuses_does_not_stop_every_other_answer_from_saving(world, new_page):
    """Regression: the page sends the whole queue in one request; one over-long answer (the
    textarea has no maxlength) makes the server refuse the batch with 400, the page
    blocks all inputs, and the bad item stays queued so it blocks again after a reload."""
    page = new_page(**PHONE)
    attempt = _open_exam(page, world["session"])
    page.locator("#q4 textarea").fill("x" * (services.MAX_RESPONSE_CHARS + 1))
    page.locator("#q4 textarea").blur()
    page.reload()
    expect(page.locator("#timer")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    page.locator("#q0 .option").nth(0).click()
    expect(page.locator("#save-status")).to_have_text("答案已全部保存")
    assert 0 in _stored(attempt)


# ---------------------------------------------------------------- accessibility


def test_the_countdown_is_not_a_live_region_read_out_every_second(world, new_page):
    """Regression: #timer has aria-live="polite" and changes every second, so a screen reader
    announces the time once a second for the whole exam (a timer should be role="timer",
    not live, with announcements only at a few thresholds)."""
    page = new_page(**PHONE)
    _open_exam(page, world["session"])
    live = page.evaluate("""() => {
        const t = document.getElementById('timer');
        const region = t.closest('[aria-live]:not([aria-live=off]), [role=status], [role=alert], [role=log]');
        return region ? region.outerHTML.slice(0, 80) : null; }""")
    before = page.locator("#timer").inner_text()
    page.wait_for_timeout(1500)
    assert live is None or page.locator("#timer").inner_text() == before, live


def test_each_question_s_inputs_are_grouped_and_named_by_the_question(world, new_page):
    """Regression: a question's radios, blanks and textarea are not in a group named by the
    question: a screen reader moving between fields hears only "你的答案" or "第1空" or
    "A. ...", the same for every question, never which question it is."""
    page = new_page(**PHONE)
    _open_exam(page, world["session"])
    for position in (0, 2, 3, 4):
        card = page.locator(f"#q{position}")
        stem = card.locator(".question-stem").inner_text()
        named = card.get_by_role("group", name=stem).or_(card.get_by_role("radiogroup", name=stem)) \
            .or_(page.get_by_role("region", name=stem)).or_(page.get_by_role("group", name=stem))
        expect(named.first).to_be_attached(timeout=2000)


# ---------------------------------------------------------------- behaviour that is right (pinned)


def test_answers_given_offline_survive_closing_the_page_and_are_sent_later(world, new_page):
    """Answers given without a connection wait in localStorage; a page opened later on the
    same phone shows them, sends them, and the server keeps them (their seq is above the
    stored one)."""
    page = new_page(**PHONE)
    attempt = _open_exam(page, world["session"])
    page.locator("#q0 .option").nth(0).click()
    expect(page.locator("#save-status")).to_have_text("答案已全部保存")
    page.context.set_offline(True)
    page.locator("#q0 .option").nth(1).click()
    page.locator("#q3 input").first.fill("氩气")
    page.locator("#q3 input").first.blur()
    expect(page.locator("#save-status")).to_contain_text("网络中断")
    chosen = page.locator("#q0 input").nth(1).get_attribute("value")
    context = page.context
    page.close()
    context.set_offline(False)
    again = context.new_page()
    again.goto(f"/work/exams/take/{world['session'].pk}/")
    expect(again.locator("#q0 input").nth(1)).to_be_checked()
    expect(again.locator("#q3 input").first).to_have_value("氩气")
    expect(again.locator("#save-status")).to_have_text("答案已全部保存")
    stored = _stored(attempt)
    assert stored[0][1] == chosen and stored[3][1] == ["氩气"]


def test_hand_in_right_after_typing_saves_the_text_first(world, new_page):
    """Clicking "Hand in" blurs the field (a change event records it at once) and the
    hand-in waits for the queue to empty: the last words typed are handed in."""
    page = new_page(**PHONE)
    attempt = _open_exam(page, world["session"])
    page.locator("#q4 textarea").fill("先切断电源，再施救。")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#submit-exam")
    expect(page.locator("#handed-in")).to_be_visible()
    assert _stored(attempt)[4][1] == "先切断电源，再施救。"


def test_the_hand_in_question_names_the_unanswered_questions(world, new_page):
    """The confirmation before handing in says which questions are still unanswered, by
    their numbers on the paper, not only how many."""
    page = new_page(**PHONE)
    _open_exam(page, world["session"])
    page.locator("#q4 textarea").fill("先切断电源，再施救。")
    page.locator("#q0 input").first.check()
    said = []

    def answer(dialog):
        said.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", answer)
    page.click("#submit-exam")
    expect(page.locator("#handed-in")).to_have_count(0)
    assert said == ["现在交卷吗？还有 5 题未作答：第 2、3、4、6、7 题。"], said
    page.locator("#q1 input").first.check()
    page.locator("#q2 input").first.check()
    page.locator("#q3 input").first.fill("氩气")
    page.locator("#q5 textarea").fill("佩戴护目镜。")
    page.click("#submit-exam")
    expect(page.locator("#handed-in")).to_have_count(0)
    assert said[1:] == ["现在交卷吗？还有 1 题未作答：第 7 题。"], said
