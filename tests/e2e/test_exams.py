"""A worker sits a timed theory exam on a phone-sized screen: answers save as they are
given (also through a dropped connection), a reload brings back every answer and the time
left, and handing in ends it; the invigilator's live list follows along in another browser."""

import re

import pytest
from playwright.sync_api import expect

from jingsai.exams import services
from jingsai.exams.models import Answer, Attempt
from tests.e2e.conftest import login
from tests.e2e.exam_page import PHONE, sitting

pytestmark = pytest.mark.django_db(transaction=True)


def _seconds(text):
    minutes, seconds = text.split(":")
    return int(minutes) * 60 + int(seconds)


def test_a_worker_takes_a_timed_exam_reloads_and_hands_in_while_the_invigilator_watches(new_page):
    world = sitting([
        {"type": "single", "count": 2, "points": "20"}, {"type": "multiple", "count": 1, "points": "20"},
        {"type": "fill", "count": 1, "points": "20"}, {"type": "short", "count": 1, "points": "20"},
    ])
    session, invigilator = world["session"], world["invigilator"]

    worker = new_page(**PHONE)
    login(worker, "kaosheng")
    worker.goto(f"/work/exams/take/{session.pk}/")
    worker.click("#start-exam")
    timer = worker.locator("#timer")
    expect(timer).to_have_text(re.compile(r"^(29|30):\d\d$"))
    worker.locator("#q0 .option").nth(1).click()
    worker.locator("#q2 .option").nth(0).click()
    worker.locator("#q2 .option").nth(2).click()
    worker.locator("#q3 input").first.fill("氩气")
    worker.locator("#q4 textarea").fill("先切断电源，再施救。")
    status = worker.locator("#save-status")
    expect(status).to_have_text("答案已全部保存")
    expect(worker.locator("#answered-count")).to_have_text("4")

    watcher = new_page()
    login(watcher, "jiankao")
    watcher.goto(f"/work/exams/sessions/{session.pk}/monitor/")
    row = watcher.locator("#monitor tr[data-entry='1']")
    expect(row).to_contain_text("王考生")
    expect(row).to_contain_text("作答中")
    expect(row.locator(".answered")).to_have_text("4")

    worker.context.set_offline(True)
    worker.locator("#q1 .option").nth(0).click()
    expect(status).to_contain_text("网络中断")
    worker.context.set_offline(False)
    expect(status).to_have_text("答案已全部保存", timeout=20000)
    attempt = Attempt.objects.get()
    assert Answer.objects.filter(attempt=attempt).count() == 5

    before = _seconds(timer.inner_text())
    worker.reload()
    expect(timer).to_have_text(re.compile(r"^\d\d:\d\d$"))
    expect(worker.locator("#q0 input").nth(1)).to_be_checked()
    expect(worker.locator("#q1 input").nth(0)).to_be_checked()
    expect(worker.locator("#q2 input").nth(0)).to_be_checked()
    expect(worker.locator("#q2 input").nth(2)).to_be_checked()
    expect(worker.locator("#q3 input").first).to_have_value("氩气")
    expect(worker.locator("#q4 textarea")).to_have_value("先切断电源，再施救。")
    expect(worker.locator("#answered-count")).to_have_text("5")
    after = _seconds(timer.inner_text())
    assert after <= before  # the clock went on through the reload

    # Extra time from the invigilator reaches the page with the next heartbeat, and it says so.
    services.extend(invigilator, attempt, 10, reason="停电")
    worker.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(status).to_contain_text("监考员调整了你的考试时间")
    expect(timer).to_have_text(re.compile(r"^(3[6-9]|40):\d\d$"))

    # An invigilator typing a reason in a row's actions is not interrupted by the refresh.
    actions = row.locator("details")
    actions.locator("summary").click()
    reason = actions.locator("input[name='reason']").first
    reason.fill("停电十分钟")
    watcher.wait_for_timeout(6500)  # longer than the list's 5-second refresh
    expect(actions).to_have_attribute("open", "")
    expect(reason).to_have_value("停电十分钟")
    actions.locator("summary").click()  # closed again: the list refreshes as before

    worker.on("dialog", lambda dialog: dialog.accept())
    worker.click("#submit-exam")
    expect(worker.locator("#handed-in")).to_contain_text("你的试卷已交")
    expect(row).to_contain_text("待阅卷")
    attempt.refresh_from_db()
    assert attempt.ended_by == "candidate" and attempt.status == "submitted"
