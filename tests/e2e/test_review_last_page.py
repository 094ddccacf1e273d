"""Review of commit a7236ea (second review of the exam page, take.js). Each "Regression" test failed on
that commit, for the defect its docstring describes. The set-up is that of
tests/e2e/test_review_diff_page.py."""

import datetime
import re
import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from jingsai.accounts.models import Role
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
    kept = first.evaluate(f"() => JSON.parse(localStorage.getItem('jingsai.exam.{attempt.pk}') || '{{}}')")
    second.close()
    first.bring_to_front()
    first.evaluate("window.dispatchEvent(new Event('online'))")
    first.locator("#q0 .option").nth(1).click()  # the first tab saves again: the connection is back
    expect(first.locator("#save-status")).to_have_text("答案已全部保存")
    first.wait_for_timeout(1500)
    sent_before_hand_in = _stored(attempt).get(1, (0, None))[1]
    first.on("dialog", lambda dialog: dialog.accept())
    first.click("#submit-exam")
    expect(first.locator("#handed-in")).to_be_visible()
    # (the first tab may have sent it already when the second stored it: then it is no
    # longer in localStorage, which is as good)
    faults = {"kept, or sent already": "1" in kept or _stored(attempt).get(1, (0, None))[1] == chosen,
              "sent while the first tab was open": sent_before_hand_in == chosen,
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


