"""Review of the change set b423154..HEAD: the candidate's exam page (take.js). Each
"Regression" test failed before its fix (the defect its docstring describes). The set-up
is that of tests/e2e/test_review_exam_page.py."""

import datetime
import re
import time

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
    deadline = timezone.now() + datetime.timedelta(seconds=seconds)
    Attempt.objects.filter(pk=attempt.pk).update(
        deadline=deadline, accept_until=deadline + datetime.timedelta(seconds=attempt.session.grace_seconds))


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
