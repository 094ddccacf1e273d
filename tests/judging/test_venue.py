"""The venue: check-in with the identity confirmed, absentees, and the two draws."""

import io

import pytest
from pypdf import PdfReader

from jingsai.core.errors import UserError
from jingsai.judging import pdf
from jingsai.judging.models import CheckIn, Draw, DrawKind
from jingsai.judging.services import entry_for_contestant_number, venue
from jingsai.results.models import ScoreStatus
from tests.judging import factories as jf

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh(db):
    """Nothing drawn, nobody checked in; the competition in progress."""
    return jf.world(drawn=False, entries=5)


def _contestants(w):
    return list(venue.contestants(w.stage).select_related("entry__person").order_by("pk"))


def test_check_in_confirms_the_last_four_characters_of_the_identity_number(fresh):
    contestant = _contestants(fresh)[0]
    wrong = "0000" if contestant.entry.person.id_number[-4:] != "0000" else "1111"
    with pytest.raises(UserError) as error:
        venue.check_in(fresh.actor, contestant, id_last4=wrong)
    assert error.value.code == "mismatch"
    with pytest.raises(UserError):
        venue.check_in(fresh.actor, contestant, id_last4="12")
    venue.check_in(fresh.actor, contestant, id_last4=contestant.entry.person.id_number[-4:].lower())
    contestant.refresh_from_db()
    assert contestant.checkin == CheckIn.PRESENT and contestant.checked_in_by == fresh.actor


def test_an_absentee_is_absent_in_the_results_until_checked_in_after_all(fresh):
    contestant = _contestants(fresh)[1]
    venue.mark_absent(fresh.actor, contestant, reason="未到场")
    status = ScoreStatus.objects.get(entry=contestant.entry)
    assert status.status == "absent" and status.reason == "未到场"
    venue.check_in(fresh.actor, contestant, id_last4=contestant.entry.person.id_number[-4:])
    assert not ScoreStatus.objects.filter(entry=contestant.entry).exists()


def test_the_draws_use_the_secure_random_source_and_record_the_mapping(fresh, monkeypatch):
    calls = []

    class Recorder:
        def shuffle(self, items):
            calls.append(list(items))
            items.reverse()

    monkeypatch.setattr(venue.secrets, "SystemRandom", Recorder)
    record = venue.draw(fresh.actor, fresh.stage, DrawKind.CONTESTANT)
    assert calls == [[1, 2, 3, 4, 5]]
    rows = _contestants(fresh)
    assert [c.contestant_number for c in rows] == [5, 4, 3, 2, 1]
    assert record.drawn_by == fresh.actor and record.drawn_at is not None
    assert record.mapping == {str(c.entry_id): c.contestant_number for c in rows}
    assert entry_for_contestant_number(fresh.stage, 5) == rows[0].entry
    assert entry_for_contestant_number(fresh.stage, "4") == rows[1].entry
    assert entry_for_contestant_number(fresh.stage, 99) is None


def test_a_draw_is_a_permutation_and_is_never_repeated(fresh):
    venue.draw(fresh.actor, fresh.stage, DrawKind.CONTESTANT)
    assert sorted(c.contestant_number for c in _contestants(fresh)) == [1, 2, 3, 4, 5]
    with pytest.raises(UserError) as error:
        venue.draw(fresh.actor, fresh.stage, DrawKind.CONTESTANT)
    assert error.value.code == "drawn"
    assert Draw.objects.count() == 1


def test_the_second_draw_waits_for_check_in_and_leaves_absentees_out(fresh):
    with pytest.raises(UserError) as error:
        venue.draw(fresh.actor, fresh.stage, DrawKind.STATION)
    assert error.value.code == "order"
    venue.draw(fresh.actor, fresh.stage, DrawKind.CONTESTANT)
    rows = _contestants(fresh)
    for contestant in rows[:3]:
        venue.check_in(fresh.actor, contestant, id_last4=contestant.entry.person.id_number[-4:])
    with pytest.raises(UserError) as error:
        venue.draw(fresh.actor, fresh.stage, DrawKind.STATION)
    assert error.value.code == "checkin"
    venue.mark_absent(fresh.actor, rows[3])
    venue.check_in(fresh.actor, rows[4], id_last4=rows[4].entry.person.id_number[-4:])
    venue.draw(fresh.actor, fresh.stage, DrawKind.STATION)
    rows = _contestants(fresh)
    assert rows[3].station_number is None
    assert sorted(c.station_number for c in rows if c.station_number) == [1, 2, 3, 4]
    with pytest.raises(UserError):
        venue.mark_absent(fresh.actor, rows[0])


def test_the_draw_record_prints_for_the_supervisors(fresh):
    venue.draw(fresh.actor, fresh.stage, DrawKind.CONTESTANT)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.draw_record(
        fresh.stage, DrawKind.CONTESTANT))).pages)
    person = _contestants(fresh)[0].entry.person
    assert "一次加密" in text and person.name in text and person.id_number_masked in text
    assert person.id_number not in text
    assert "监督员签字" in text


def test_practical_time_is_parsed_and_recorded(w):
    contestant = jf.contestants(w.stage)[0]
    venue.record_time(w.chief.user, contestant, "1:02:03")
    contestant.refresh_from_db()
    assert contestant.time_seconds == 3723
    for bad in ("abc", "61:99", "0"):
        with pytest.raises(UserError):
            venue.record_time(w.chief.user, contestant, bad)


def test_draws_are_refused_outside_the_venue_statuses(fresh):
    fresh.competition.status = "registration_open"
    fresh.competition.save()
    with pytest.raises(UserError) as error:
        venue.draw(fresh.actor, fresh.stage, DrawKind.CONTESTANT)
    assert error.value.code == "status"
