"""A judge marks on a phone, loses the connection while marking, gets it back, and every
mark arrives exactly once; then the chief judge signs the station off."""

import pytest
from playwright.sync_api import expect

from jingsai.judging.models import Mark, MarkEvent
from jingsai.judging.services import marking
from tests.e2e.conftest import PASSWORD, login
from tests.judging import factories as jf

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 3}


def _aspect(page, code):
    return page.locator(f'#marking .aspect[data-aspect="{code}"]')


def test_a_judge_marks_offline_on_a_phone_and_every_mark_arrives_once(new_page):
    w = jf.world(entries=2)
    judge, chief = w.judges[0], w.chief
    for user in (judge.user, chief.user):
        user.set_password(PASSWORD)
        user.save()
    station = jf.contestants(w.stage)[0]

    page = new_page(**PHONE)
    login(page, judge.user.username)
    page.goto(f"/work/judging/s/{w.stage.pk}/mark/")
    page.locator(f'.station-tile[data-station="{station.station_number}"]').tap()
    expect(page.locator("#missing-count")).to_have_text("5")

    _aspect(page, "A2").locator('.choice[data-value="2"]').tap()
    expect(_aspect(page, "A2")).to_have_attribute("data-state", "saved")

    page.context.set_offline(True)
    _aspect(page, "A1").locator('.choice[data-value="10"]').tap()
    _aspect(page, "A2").locator('.choice[data-value="3"]').tap()
    a3 = _aspect(page, "A3")
    for key in ("2", "2", ".", "5"):
        a3.locator(f'.key[data-key="{key}"]').tap()
    a3.locator(".save").tap()
    b1a = _aspect(page, "B1a")
    b1a.locator("input").fill("15")
    b1a.locator(".save").tap()
    _aspect(page, "B1b").locator('.choice[data-value="1"]').tap()

    expect(page.locator("#queue-count")).to_have_text("5")
    expect(page.locator("#net-status")).to_have_text("离线")
    expect(_aspect(page, "B1b")).to_have_attribute("data-state", "queued")
    expect(page.locator("#missing-count")).to_have_text("0")
    assert list(Mark.objects.values_list("aspect__code", "value")) == [("A2", 2)]

    page.context.set_offline(False)
    expect(page.locator("#queue-banner")).to_be_hidden(timeout=20000)
    for code in ("A1", "A2", "A3", "B1a", "B1b"):
        expect(_aspect(page, code)).to_have_attribute("data-state", "saved")

    marks = dict(Mark.objects.filter(contestant=station, judge=judge).values_list("aspect__code", "value"))
    assert marks == {"A1": 10, "A2": 3, "A3": 22.5, "B1a": 15, "B1b": 1}
    events = MarkEvent.objects.filter(mark__contestant=station)
    assert events.count() == 6, "A2 entered and changed, four others entered: nothing twice"
    keys = list(events.values_list("key", flat=True))
    assert len(set(keys)) == 6 and None not in keys
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('jingsai.marks.'))"
                         ".map(k => JSON.parse(localStorage.getItem(k)).length)") == [0]

    for other, given in zip(w.judges[1:], (("3", "22", "1"), ("2", "23", "2")), strict=True):
        for code, value in zip(("A2", "A3", "B1b"), given, strict=True):
            marking.record_mark(other.user, station, jf.aspect(w, code), value)

    chief_page = new_page(**PHONE)
    login(chief_page, chief.user.username)
    chief_page.goto(f"/work/judging/s/{w.stage.pk}/review/{station.station_number}/")
    expect(chief_page.locator("#station-marks")).to_contain_text("22.5")
    chief_page.locator("#sign-off").tap()
    expect(chief_page.locator(".alert-success")).to_contain_text("已签字确认")
    station.refresh_from_db()
    assert station.signed_off and station.signed_off_by == chief.user
    assert not Mark.objects.filter(contestant=station, locked=False).exists()


def test_a_lost_security_token_keeps_the_queue_and_a_refused_mark_leaves_alone(new_page):
    """The CSRF cookie is lost while offline: the first answer is the security check's 403,
    which keeps every queued mark (the token is renewed from the page); a mark refused for a
    conflict of interest leaves the queue alone, and the others arrive."""
    from django.urls import reverse

    from jingsai.judging.services import judges

    w = jf.world(entries=2)
    judge = w.judges[0]
    judge.user.set_password(PASSWORD)
    judge.user.save()
    first, second = jf.contestants(w.stage)
    page = new_page(**PHONE)
    login(page, judge.user.username)
    page.goto(reverse("judging:station", args=[w.stage.pk, first.station_number]))
    expect(page.locator("#missing-count")).to_have_text("5")
    page.context.set_offline(True)
    _aspect(page, "A2").locator('.choice[data-value="2"]').tap()
    _aspect(page, "A1").locator('.choice[data-value="10"]').tap()
    expect(page.locator("#queue-count")).to_have_text("2")
    other = reverse("api:judging_mark", kwargs={"stage_id": w.stage.pk, "number": second.station_number})
    page.evaluate("""(url) => {
        const name = Object.keys(localStorage).find(k => k.startsWith('jingsai.marks.'));
        const queue = JSON.parse(localStorage.getItem(name));
        queue.unshift({key: 'other-station-key', url: url, aspect: 'A2', value: '3',
                       entered_at: new Date().toISOString()});
        localStorage.setItem(name, JSON.stringify(queue));
    }""", other)
    judges.declare_relationship(w.actor, judge, id_number=second.entry.person.id_number, relation="亲属")
    page.context.clear_cookies(name="csrftoken")
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#queue-banner")).to_be_hidden(timeout=20000)
    for code in ("A1", "A2"):
        expect(_aspect(page, code)).to_have_attribute("data-state", "saved")
    expect(page.locator("#reload-banner")).to_be_hidden()
    assert dict(Mark.objects.filter(contestant=first).values_list("aspect__code", "value")) == {"A1": 10, "A2": 2}
    assert not Mark.objects.filter(contestant=second).exists()


def test_a_judge_whose_browser_keeps_no_site_data_still_marks(new_page):
    """Regression: with site data blocked, reading or writing window.localStorage throws.
    The marking page kept its queue only there, so a tap threw and the mark was neither
    queued nor sent. The queue now lives in the page when storage cannot be used."""
    w = jf.world(entries=1)
    judge = w.judges[0]
    judge.user.set_password(PASSWORD)
    judge.user.save()
    station = jf.contestants(w.stage)[0]
    page = new_page(**PHONE)
    page.add_init_script("Object.defineProperty(window, 'localStorage', {get: function () {"
                         " throw new DOMException('The operation is insecure.', 'SecurityError'); }});")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, judge.user.username)
    page.goto(f"/work/judging/s/{w.stage.pk}/mark/")
    page.locator(f'.station-tile[data-station="{station.station_number}"]').tap()
    _aspect(page, "A2").locator('.choice[data-value="2"]').tap()
    expect(_aspect(page, "A2")).to_have_attribute("data-state", "saved")
    page.context.set_offline(True)
    _aspect(page, "A1").locator('.choice[data-value="10"]').tap()
    expect(page.locator("#queue-count")).to_have_text("1")
    page.context.set_offline(False)
    expect(_aspect(page, "A1")).to_have_attribute("data-state", "saved", timeout=20000)
    assert sorted(Mark.objects.values_list("aspect__code", "value")) == [("A1", 10), ("A2", 2)]
    assert errors == [], errors
