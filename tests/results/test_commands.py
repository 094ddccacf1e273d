"""`jingsai results compute|publish|finalize|export` and their messages."""

import pytest
from django.core.management import call_command

from jingsai.accounts.models import Role
from jingsai.results.models import Promotion
from tests import factories
from tests.results import factories as rf
from tests.results.helpers import end_publicity

pytestmark = pytest.mark.django_db


@pytest.fixture
def competition():
    orgs = factories.tree()
    item = rf.competition(orgs["A"])
    rf.scored(item, [(90, 90), (80, 85), (70, None)], unit=orgs["unit_a"])
    return item


def run(capsys, *args):
    try:
        call_command("results", *args)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, out.out, out.err


def test_compute_publish_and_finalize_from_the_command_line(competition, capsys):
    code, out, err = run(capsys, "compute", competition.code, "--reason", "首次计算")
    assert code == 0 and "第 1 版，共 3 人，参加排名 2 人，缺考 1 人" in out
    assert "有 1 人缺少成绩且未登记缺考" in err
    code, _out, err = run(capsys, "publish", competition.code)
    assert code == 1 and "缺少某项成绩" in err
    from jingsai.results import services

    entry = competition.entries.order_by("number").last()
    services.set_score_status(None, entry, "absent")
    run(capsys, "compute", competition.code)
    code, out, _err = run(capsys, "publish", competition.code)
    assert code == 0 and "公示至" in out
    code, _out, err = run(capsys, "finalize", competition.code)
    assert code == 1 and "公示" in err
    end_publicity(competition.stages.get())
    code, out, _err = run(capsys, "finalize", competition.code, "--reason", "公示期满")
    assert code == 0 and "授予等级晋升 2 人" in out
    assert Promotion.objects.count() == 2
    code, _out, err = run(capsys, "compute", competition.code)
    assert code == 1 and "不能计算成绩" in err


def test_unknown_competition_stage_and_permissions(competition, capsys):
    code, _out, err = run(capsys, "compute", "NOPE")
    assert code == 1 and "NOPE" in err
    code, _out, err = run(capsys, "compute", competition.code, "--stage", "qualifier")
    assert code == 1 and "qualifier" in err and "final" in err
    factories.user("outsider", role=Role.ORGANIZER, org=factories.org("X-1"))
    code, _out, err = run(capsys, "compute", competition.code, "--user", "outsider")
    assert code == 1 and "results.compute" in err
