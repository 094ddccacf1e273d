"""The candidate's exam page (take.js with the save, heartbeat and hand-in API) in a phone's
browser: no answer lost (typing, reloads, closed tabs, time-up, offline, long answers),
the clock (extra time, a device clock set during the exam), several tabs and devices, and
accessibility. Tests named "Regression" failed before the fix their docstring describes."""

import datetime
import re
import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from jingsai.exams import services
from jingsai.exams.models import Answer, Attempt
from tests.e2e.conftest import login
from tests.e2e.exam_page import PHONE, sitting

pytestmark = pytest.mark.django_db(transaction=True)
# Positions on the paper (questions not shuffled): 0, 1 single choice; 2 multiple choice;
# 3 fill-in; 4, 5, 6 short answer.
SHORT = (4, 5, 6)


@pytest.fixture
def world():
    return sitting([
        {"type": "single", "count": 2, "points": "10"}, {"type": "multiple", "count": 1, "points": "20"},
        {"type": "fill", "count": 1, "points": "10"}, {"type": "short", "count": 3, "points": "20"},
    ])


def _open_exam(page, session):
    login(page, "kaosheng")
    page.goto(f"/work/exams/take/{session.pk}/")
    page.click("#start-exam")
    expect(page.locator("#timer")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    return Attempt.objects.get()


def _hand_in(page):
    """Hand in, saying yes to the confirmation, and wait for the handed-in page."""
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#submit-exam")
    expect(page.locator("#handed-in")).to_be_visible()


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
    assert live is None, live


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
    _hand_in(page)
    assert _stored(attempt)[4][1] == "先切断电源，再施救。"


def test_handing_in_while_answers_cannot_be_saved_waits_for_them_instead_of_dropping_them(world, new_page):
    """Regression: the hand-in waited 15 s for the queue to empty, then handed in anyway and
    cleared the queue kept on the phone: an answer the server never got (saves failing, or
    one stalled in flight) was lost, with time still left. Now the page keeps the paper open,
    says so, and hands in once the answer is saved."""
    page = new_page(**PHONE)
    attempt = _open_exam(page, world["session"])
    page.route(re.compile(r".*/api/exams/attempts/\d+/answers$"), lambda route: route.abort())
    page.locator("#q4 textarea").fill("断网时写的答案")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#submit-exam")
    expect(page.locator("#save-status")).to_contain_text("部分答案尚未保存", timeout=25000)
    assert Attempt.objects.get(pk=attempt.pk).status == "in_progress"  # not handed in without it
    page.unroute(re.compile(r".*/api/exams/attempts/\d+/answers$"))
    expect(page.locator("#handed-in")).to_be_visible(timeout=20000)
    assert _stored(attempt)[4][1] == "断网时写的答案"
    assert Attempt.objects.get(pk=attempt.pk).status != "in_progress"


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


def test_a_device_clock_that_jumps_forward_does_not_stop_the_page_for_good(world, new_page):
    """Regression: nextSeq() numbers a change by Date.now() + the offset measured once at load. A phone
    that booted with a wrong date and sets its clock from the network during the exam (or a
    candidate fixing the clock) jumps Date.now() forward; the seq passes 2^31-1, the server
    refuses the save with 400, block() disables every input, and the refused seq stays in
    localStorage, so every reload sends it again and is blocked again."""
    page = new_page(**PHONE)
    attempt = _open_exam(page, world["session"])
    status = page.locator("#save-status")
    page.locator("#q0 .option").nth(0).click()
    expect(status).to_have_text("答案已全部保存")
    page.evaluate("() => { const real = Date.now; Date.now = () => real() + 30 * 86400000; }")  # +30 days
    page.locator("#q0 .option").nth(1).click()
    chosen = page.locator("#q0 input").nth(1).get_attribute("value")
    page.wait_for_timeout(2000)
    blocked_now = page.locator("#blocked").is_visible()
    page.reload()  # the clock is right again in the new page; the queue in localStorage is not
    expect(page.locator("#timer")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    page.wait_for_timeout(2000)
    faults = {"blocked after the clock changed": blocked_now,
              "still blocked after a reload": page.locator("#blocked").is_visible(),
              "the last choice not stored": _stored(attempt)[0][1] != chosen}
    assert not any(faults.values()), faults


def test_time_up_without_a_connection_does_not_throw_away_extra_time(world, new_page):
    """Regression: timeUp(): when the heartbeat that asks the server fails (no connection, a 502 while a
    worker restarts), the page hands in at once. The hand-in is retried until the connection
    is back and then posts a plain submit: extra time the invigilator gave meanwhile (the
    hall's Wi-Fi went down, so they gave ten minutes) is thrown away, and because the
    deadline is now in the future finalize() records it as the candidate's own hand-in."""
    page = new_page(**PHONE)
    attempt = _open_exam(page, world["session"])
    _set_deadline(attempt, 6)
    page.reload()
    expect(page.locator("#timer")).to_have_text(re.compile(r"^00:0[3-6]$"))
    page.context.set_offline(True)  # the hall's network drops
    attempt.refresh_from_db()
    services.extend(world["invigilator"], attempt, 10, reason="考场断网")
    page.wait_for_timeout(9000)  # the page's own clock reaches 0 without a connection
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_timeout(6000)
    attempt.refresh_from_db()
    assert (attempt.status, attempt.ended_by) == ("in_progress", ""), \
        f"ended as {attempt.ended_by!r} with {(attempt.deadline - timezone.now()).seconds // 60} minutes left"


def test_typing_is_sent_when_it_pauses_not_once_per_round_trip(world, new_page):
    """Regression: record(section, false) queues each keystroke and the comment says it is "sent when the
    typing pauses"; but flush() calls itself after every successful save, so once any save is
    in flight (a click on another question, the retry of a failed save) the text being typed
    is posted again after every round trip for as long as the typing goes on: on a mobile
    network, a save every few hundred ms per candidate writing an essay."""
    page = new_page(**PHONE)
    _open_exam(page, world["session"])
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions",
             {"offline": False, "latency": 150, "downloadThroughput": -1, "uploadThroughput": -1})
    saves = []
    page.on("request", lambda r: saves.append(r.url) if r.url.endswith("/answers") else None)
    page.locator("#q0 .option").nth(0).click()  # one save, in flight while the typing starts
    page.locator("#q4 textarea").press_sequentially("先切断电源再施救然后拨打急救电话并保护现场" * 2, delay=60)
    expect(page.locator("#save-status")).to_have_text("答案已全部保存", timeout=10000)
    # the click's save, and one when the typing paused (two or three with the blur): not one per key
    assert len(saves) <= 3, f"{len(saves)} saves for one click and 40 keystrokes"


def test_a_change_in_a_tab_whose_page_came_slowly_is_not_ordered_before_an_older_one(world, new_page):
    """Regression: clockOffset = config.now - Date.now() is measured once, when the script runs: the time
    the page took to arrive (a crowded exam hall's Wi-Fi: seconds) is counted as clock
    difference, so every seq of that tab is that much too old. The candidate changes an
    answer in one tab, then (a moment later) in the tab that loaded slowly: the later change
    gets the lower seq, the server keeps the earlier one, and the tab says "All answers saved"."""
    first = new_page(**PHONE)
    attempt = _open_exam(first, world["session"])
    second = first.context.new_page()  # the same phone, a second tab (same device cookie)

    def slow(route):
        response = route.fetch()  # rendered now: config.now is this moment
        time.sleep(5)  # five seconds on the way to the phone
        route.fulfill(response=response)

    second.route(re.compile(r".*/work/exams/take/\d+/$"), slow)
    second.goto(f"/work/exams/take/{world['session'].pk}/")
    expect(second.locator("#timer")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    first.bring_to_front()
    first.locator("#q0 .option").nth(0).click()
    expect(first.locator("#save-status")).to_have_text("答案已全部保存")
    second.bring_to_front()
    second.locator("#q0 .option").nth(1).click()  # a second later: the candidate's last word
    expect(second.locator("#save-status")).to_have_text("答案已全部保存")
    last = second.locator("#q0 input").nth(1).get_attribute("value")
    assert _stored(attempt)[0][1] == last


def test_time_up_after_the_invigilator_ended_the_attempt_goes_to_the_handed_in_page(world, new_page):
    """Regression: timeUp(): when the heartbeat answers that the attempt is no longer in progress (the
    invigilator ended it, or the sweep timed it out while the phone slept), the page does not
    go to the handed-in page as heartbeat() does: it flushes the queue (refused: block()
    disables the inputs and says the answer "arrived too late"), then handIn() waits up to
    15 s for a queue that can never empty before it posts a submit."""
    page = new_page(**PHONE)
    attempt = _open_exam(page, world["session"])
    _set_deadline(attempt, 4)
    page.reload()
    expect(page.locator("#timer")).to_have_text("00:02", timeout=8000)
    attempt.refresh_from_db()
    services.end_attempt(world["invigilator"], attempt, reason="考生身体不适")
    expect(page.locator("#timer")).to_have_text("00:01", timeout=3000)
    page.locator("#q4 textarea").fill("最后一句")  # typed in the last second: queued, not yet sent
    expect(page.locator("#handed-in")).to_be_visible(timeout=6000)


def test_a_save_refused_because_the_attempt_ended_takes_the_candidate_to_the_handed_in_page(world, new_page):
    """The invigilator ends the attempt while the candidate writes: the next save is refused
    as too late, and the page (whose own clock still runs) goes to the handed-in page
    instead of sitting there with every field disabled until the next heartbeat."""
    page = new_page(**PHONE)
    attempt = _open_exam(page, world["session"])
    services.end_attempt(world["invigilator"], attempt, reason="考生身体不适")
    page.locator("#q4 textarea").fill("还在作答")
    expect(page.locator("#handed-in")).to_be_visible(timeout=6000)


def test_a_closed_tab_s_unsent_answer_is_sent_by_the_tab_left_open_not_erased_at_hand_in(world, new_page):
    """Regression: persist() now keeps in localStorage the unsent changes of the other tabs of the exam
    ("Tabs of the same exam on one device keep each other's unsent changes"), but no tab
    ever sends them: flush() sends only its own in-memory queue, which is read from
    localStorage once, at load. The candidate answers question 2 in a second tab while the
    hall's Wi-Fi is down and closes that tab; the connection comes back, the first tab says
    "All answers saved", the answer never reaches the server, and the hand-in then runs
    localStorage.removeItem(): the answer is gone for good."""
    first = new_page(**PHONE)
    attempt = _open_exam(first, world["session"])
    first.locator("#q0 .option").nth(0).click()
    expect(first.locator("#save-status")).to_have_text("答案已全部保存")
    second = first.context.new_page()  # the same phone, a second tab (same device cookie)
    second.goto(f"/work/exams/take/{world['session'].pk}/")
    expect(second.locator("#timer")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    # The hall's Wi-Fi drops for this tab's requests (including the pagehide one when it is
    # closed: Chromium sends keepalive requests of a closed page past its network emulation).
    second.evaluate("() => { window.fetch = () => Promise.reject(new TypeError('Failed to fetch')); }")
    second.locator("#q1 .option").nth(2).click()
    chosen = second.locator("#q1 input").nth(2).get_attribute("value")
    expect(second.locator("#save-status")).to_contain_text("网络中断")
    second.close()
    first.bring_to_front()
    first.evaluate("window.dispatchEvent(new Event('online'))")
    first.locator("#q0 .option").nth(1).click()  # the first tab saves again: the connection is back
    expect(first.locator("#save-status")).to_have_text("答案已全部保存")
    first.wait_for_timeout(1500)
    sent_before_hand_in = _stored(attempt).get(1, (0, None))[1]
    _hand_in(first)
    faults = {"sent while the first tab was open": sent_before_hand_in == chosen,
              "handed in": _stored(attempt).get(1, (0, None))[1] == chosen}
    assert all(faults.values()), faults


def test_a_device_clock_set_forward_mid_exam_does_not_make_later_changes_elsewhere_lost(world, new_page):
    """Regression: nextSeq() uses Date.now() + clockOffset, and clockOffset is only measured again by a
    heartbeat with a shorter round trip than any before (offsetRoundTrip only goes down):
    once this device's clock is corrected by a few minutes during the exam (a phone setting
    its clock from the network; the commit names this case), every change from this tab is
    numbered minutes "later" than it was made. The check added for it only refuses readings
    beyond two days. The candidate then changes the same answer in another tab (or on the
    new phone after a take-over): that later change has the lower seq, the server keeps the
    earlier one, and both tabs say "All answers saved". (performance.now(), which does not
    jump, would give the time since load.)"""
    first = new_page(**PHONE)
    attempt = _open_exam(first, world["session"])
    second = first.context.new_page()
    second.goto(f"/work/exams/take/{world['session'].pk}/")
    expect(second.locator("#timer")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    first.bring_to_front()
    first.evaluate("() => { const real = Date.now; Date.now = () => real() + 10 * 60000; }")  # set 10 min on
    first.locator("#q0 .option").nth(0).click()
    expect(first.locator("#save-status")).to_have_text("答案已全部保存")
    first.wait_for_timeout(1000)
    second.bring_to_front()
    second.locator("#q0 .option").nth(1).click()  # later: the candidate's last word on question 1
    expect(second.locator("#save-status")).to_have_text("答案已全部保存")
    last = second.locator("#q0 input").nth(1).get_attribute("value")
    assert _stored(attempt)[0][1] == last


def test_time_up_while_the_server_answers_502_does_not_multiply_the_retries(world, new_page):
    """Regression: timeUp() now asks again every 3 s while the heartbeat fails, and calls flush(true)
    each time. Every flush() that fails schedules its own retry (setTimeout(flush, ...)),
    and nothing cancels the one already scheduled: each round of timeUp() adds one more
    retry chain, which dies only if it happens to fire while another save is in flight.
    At the end of an exam, with the server restarting (502), every page with an unsent
    answer posts saves at a rate that grows minute by minute instead of one every few
    seconds: the hall's pages hammer the server exactly when it is coming back."""
    page = new_page(**PHONE)
    attempt = _open_exam(page, world["session"])
    _set_deadline(attempt, 4)
    page.reload()
    expect(page.locator("#timer")).to_have_text(re.compile(r"^00:0[2-4]$"))
    saves = []

    def restarting(route):  # the server is restarting: 502 for saves and heartbeats alike
        if route.request.url.endswith("/answers"):
            saves.append(time.monotonic())
        route.fulfill(status=502, body="Bad Gateway")

    page.route(re.compile(r".*/api/exams/attempts/\d+/(answers|heartbeat)$"), restarting)
    page.locator("#q0 .option").nth(0).click()  # an answer that cannot be sent
    expect(page.locator("#timer")).to_have_text("00:00", timeout=8000)
    start = time.monotonic()
    page.wait_for_timeout(60000)
    early = sum(1 for t in saves if start <= t < start + 20)
    late = sum(1 for t in saves if start + 40 <= t < start + 60)
    # the page asks every 3 s at first, backing off to every 10 s, and sends with each ask
    # only when no retry is waiting: a few saves per 20 s, fewer later, never more
    assert late <= early <= 8, f"saves: {early} in the first 20 s after time-up, {late} in the third 20 s"


def test_a_browser_with_storage_turned_off_still_saves_and_hands_in(world, new_page):
    """Regression: with site data blocked, reading window.localStorage throws. The page kept
    its queue in memory, but leave() removed the stored queue without a guard, so after the
    hand-in the page threw there and never moved on to the handed-in page."""
    page = new_page(**PHONE)
    page.add_init_script("Object.defineProperty(window, 'localStorage', {get: function () {"
                         " throw new DOMException('The operation is insecure.', 'SecurityError'); }});")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    attempt = _open_exam(page, world["session"])
    page.locator("#q4 textarea").fill("关闭气瓶阀门。")
    _hand_in(page)
    assert _stored(attempt)[4][1] == "关闭气瓶阀门。"
    assert errors == [], errors


# ---------------------------------------------------------------- voided for a new attempt


def test_an_attempt_voided_by_the_organizer_sends_the_candidate_back_to_start_again(world, new_page):
    """The organizer voids the attempt on its page while the candidate answers; the
    candidate's next answer is refused, the page goes back to the start page, which says
    why, and the candidate starts again on a new attempt."""
    from jingsai.accounts.models import Role
    from tests import factories

    factories.user("zuzhi", role=Role.ORGANIZER, org=world["competition"].host)
    page = new_page(**PHONE)
    attempt = _open_exam(page, world["session"])
    page.locator("#q0 .option").nth(0).click()
    expect(page.locator("#save-status")).to_have_text("答案已全部保存")

    organizer = new_page()
    login(organizer, "zuzhi")
    organizer.goto(f"/work/exams/attempts/{attempt.pk}/")
    organizer.locator("#void-attempt summary").click()
    organizer.locator("#void-attempt input[name=reason]").fill("考生电脑死机")
    organizer.on("dialog", lambda dialog: dialog.accept())
    organizer.locator("#void-attempt button").click()
    expect(organizer.locator("#voided-note")).to_be_visible()

    page.locator("#q1 .option").nth(1).click()
    expect(page.locator("#voided")).to_contain_text("考生电脑死机")
    page.click("#start-exam")
    expect(page.locator("#timer")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    new = Attempt.objects.exclude(pk=attempt.pk).get()
    assert new.status == "in_progress" and not _stored(new)
    assert set(_stored(attempt)) == {0}  # the voided one keeps what it had, and took nothing after


def test_a_queue_left_by_another_attempt_with_the_same_number_is_not_sent_into_this_one(world, new_page):
    """Regression: the queue was kept under the attempt's number alone. After the database was
    restored from a backup, numbers were handed out again: a queue an earlier attempt left
    unsent on a shared computer (the exam hall's) was shown and sent into the new attempt of
    that number, newer by its sequence numbers, over the new candidate's answers. The queue
    now carries when its attempt began; a queue kept before it had that mark is still taken
    as the attempt's own (the page upgraded during an exam loses nothing)."""
    page = new_page(**PHONE)
    attempt = _open_exam(page, world["session"])
    page.locator("#q0 .option").nth(0).click()
    expect(page.locator("#save-status")).to_have_text("答案已全部保存")
    mine = page.locator("#q0 input").nth(0).get_attribute("value")
    other = page.locator("#q1 input").nth(1).get_attribute("value")
    key = f"jingsai.exam.{attempt.pk}"
    marked = page.evaluate(f"JSON.parse(localStorage.getItem('{key}'))")
    assert marked == {"started": int(attempt.started_at.timestamp() * 1000)}
    stale = {"0": {"seq": 2_000_000_000, "r": other}, "started": marked["started"] - 86_400_000}
    keep = "([key, queue]) => localStorage.setItem(key, JSON.stringify(queue))"
    page.evaluate(keep, [key, stale])
    page.reload()
    expect(page.locator("#q0 input").nth(0)).to_be_checked()
    expect(page.locator("#save-status")).to_have_text("答案已全部保存")
    page.wait_for_timeout(1500)
    assert _stored(attempt)[0][1] == mine

    # A queue without the mark, as the page kept it before: still this attempt's own.
    page.evaluate(keep, [key, {"1": {"seq": 2_000_000_000, "r": other}}])
    page.reload()
    expect(page.locator("#q1 input").nth(1)).to_be_checked()
    expect(page.locator("#save-status")).to_have_text("答案已全部保存")
    assert _stored(attempt)[1][1] == other
