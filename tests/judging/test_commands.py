"""`jingsai judging checkin|times|signoff`: the venue's files and the chief judge's sign-off
from the command line, all or nothing, every problem printed and exit status 1."""

import pytest

from jingsai.core import spreadsheets as sheets
from jingsai.judging import imports
from jingsai.judging.models import CheckIn, Contestant, Mark
from jingsai.judging.services import judges, venue
from tests.commands import run_command
from tests.judging import factories as jf
from tests.judging.test_marking import mark_all

pytestmark = pytest.mark.django_db


def _file(tmp_path, name, columns, rows):
    path = tmp_path / name
    path.write_bytes(sheets.xlsx_bytes(columns, rows))
    return str(path)


def test_checkin_from_the_command_line_all_or_nothing(tmp_path):
    w = jf.world(drawn=False, entries=3)
    venue.draw(w.actor, w.stage, "contestant")
    bad = _file(tmp_path, "bad.xlsx", imports.CHECKIN_COLUMNS,
                [["1", "", "", "", ""], ["9", "", "", "", ""], ["2", "", "", "到了", ""]])
    code, _out, err = run_command("judging", "checkin", w.competition.code, "--stage", w.stage.key, bad)
    assert code == 1
    assert "第 3 行" in err and "第 4 行" in err, err
    assert not Contestant.objects.exclude(checkin=CheckIn.PENDING).exists()
    good = _file(tmp_path, "good.xlsx", imports.CHECKIN_COLUMNS,
                 [["1", "", "", "", ""], ["2", "", "", "", ""], ["3", "", "", "缺考", "病假"]])
    code, out, err = run_command("judging", "checkin", w.competition.code, "--stage", w.stage.key, good)
    assert code == 0, err
    assert "2" in out and sorted(Contestant.objects.values_list("checkin", flat=True)) == [
        CheckIn.ABSENT, CheckIn.PRESENT, CheckIn.PRESENT]
    code, _out, err = run_command("judging", "checkin", w.competition.code, str(tmp_path / "none.xlsx"))
    assert code == 1 and "none.xlsx" in err
    code, _out, err = run_command("judging", "checkin", w.competition.code, good, "--user", w.judges[0].user.username)
    assert code == 1 and "judging.checkin" in err


def test_times_from_the_command_line_refuse_a_chief_judge_in_conflict(w, tmp_path):
    first, second = jf.contestants(w.stage)[:2]
    judges.declare_relationship(w.actor, w.chief, id_number=first.entry.person.id_number, relation="亲属")
    rows = [["", "", str(first.station_number), "3000", ""], ["", "", str(second.station_number), "52:30", ""]]
    path = _file(tmp_path, "times.xlsx", imports.TIME_COLUMNS, rows)
    code, _out, err = run_command("judging", "times", w.competition.code, path, "--user", w.chief.user.username)
    assert code == 1 and "第 2 行" in err and "回避" in err, err
    assert not Contestant.objects.filter(time_seconds__isnull=False).exists()
    path = _file(tmp_path, "times2.xlsx", imports.TIME_COLUMNS, rows[1:])
    code, _out, err = run_command("judging", "times", w.competition.code, path, "--user", w.chief.user.username)
    assert code == 0, err
    second.refresh_from_db()
    assert second.time_seconds == 3150
    code, _out, err = run_command("judging", "times", w.competition.code, path, "--user", w.judges[0].user.username)
    assert code == 1 and "judging.record_time" in err


def test_signoff_one_station_or_every_complete_one(w):
    first, second, third, _fourth = jf.contestants(w.stage)
    chief = w.chief.user.username
    mark_all(w, first)
    mark_all(w, second)
    code, _out, err = run_command("judging", "signoff", w.competition.code, "--station", str(third.station_number),
                           "--user", chief)
    assert code == 1 and "A1" in err and "J1" in err, err
    code, out, err = run_command("judging", "signoff", w.competition.code, "--station", str(first.station_number),
                          "--user", chief)
    assert code == 0, err
    assert Mark.objects.filter(contestant=first, locked=False).count() == 0
    code, _out, err = run_command("judging", "signoff", w.competition.code, "--station", str(first.station_number),
                           "--user", chief)
    assert code == 1 and "已" in err
    code, out, err = run_command("judging", "signoff", w.competition.code, "--all", "--user", chief)
    assert code == 0, err
    assert {c.pk for c in Contestant.objects.filter(signed_off_at__isnull=False)} == {first.pk, second.pk}
    assert str(third.station_number) in out
    code, _out, err = run_command("judging", "signoff", w.competition.code, "--all",
                                  "--user", w.judges[0].user.username)
    assert code == 1 and "judging.review" in err
    code, _out, err = run_command("judging", "signoff", w.competition.code, "--station", "99")
    assert code == 1 and "99" in err
