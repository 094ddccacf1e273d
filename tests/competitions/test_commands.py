"""`jingsai competition load|export|status|list`: exit codes, messages, nothing changed on
failure, permissions with --user."""

from io import StringIO

import pytest
import yaml
from django.core.management import call_command

from jingsai.accounts.models import Role
from jingsai.competitions.models import Competition, Status, StatusChange
from jingsai.competitions.spec import load_spec
from jingsai.core.models import AuditRecord
from tests import factories
from tests.competitions.factories import competition, spec

pytestmark = pytest.mark.django_db


@pytest.fixture
def orgs():
    return factories.tree()


def run(*args):
    """(exit status, stdout, stderr) of `jingsai competition ...`."""
    out, err = StringIO(), StringIO()
    try:
        call_command("competition", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return exit_.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def write(tmp_path, raw, name="spec.yaml"):
    path = tmp_path / name
    path.write_text(raw if isinstance(raw, str) else yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return str(path)


def test_load_prints_the_code(orgs, tmp_path):
    status, out, err = run("load", write(tmp_path, spec("C-1", orgs["A"])))
    assert (status, out) == (0, "C-1\n") and "已创建“C-1 焊工”" in err
    record = AuditRecord.objects.get(action="competitions.create")
    assert record.via == "cli" and record.actor_label.startswith("system")
    status, out, err = run("load", write(tmp_path, spec("C-1", orgs["A"])))
    assert (status, out) == (0, "C-1\n") and "未作修改" in err


def test_an_invalid_spec_exits_1_listing_every_problem_and_changes_nothing(orgs, tmp_path):
    raw = spec("C-1", orgs["A"], level="country", stages=[{"key": "f", "name": "决赛", "advance": {"top": 3}}])
    raw["components"][0]["weight"] = "0.5"
    raw["surprise"] = True
    status, out, err = run("load", write(tmp_path, raw))
    assert status == 1 and out == ""
    assert "规则有4处问题，未作保存。" in err
    for where in ("level", "components", "stages[0].advance", "surprise"):
        assert f"  {where}" in err
    assert "Traceback" not in err and not Competition.objects.exists()


def test_a_file_that_is_not_yaml_or_not_there(orgs, tmp_path):
    status, _out, err = run("load", write(tmp_path, "code: [broken\n"))
    assert status == 1 and "YAML" in err and "Traceback" not in err
    status, _out, err = run("load", str(tmp_path / "missing.yaml"))
    assert status == 1 and "不存在" in err


def test_load_acts_as_the_named_user_with_their_permissions(orgs, tmp_path):
    factories.user("district-b", role=Role.ORGANIZER, org=orgs["B"])
    factories.user("district-a", role=Role.ORGANIZER, org=orgs["A"])
    path = write(tmp_path, spec("C-1", orgs["A"]))
    status, _out, err = run("load", path, "--user", "district-b")
    assert status == 1 and "您不能以甲区总工会名义举办竞赛" in err and not Competition.objects.exists()
    status, out, _err = run("load", path, "--user", "district-a")
    assert (status, out) == (0, "C-1\n")
    assert Competition.objects.get(code="C-1").created_by.username == "district-a"


def test_frozen_rules_change_with_a_reason_from_the_command_line(orgs, tmp_path):
    item = competition("C-1", orgs["A"], status="registration_open")
    path = write(tmp_path, spec("C-1", orgs["A"], schedule=item.spec["schedule"], unit_quota=3))
    status, _out, err = run("load", path)
    assert status == 1 and "请填写修改原因" in err
    status, _out, err = run("load", path, "--reason", "场地有限")
    assert status == 0 and "已更新" in err
    assert AuditRecord.objects.get(action="competitions.update_rules").reason == "场地有限"


def test_export_writes_yaml_that_loads_back_unchanged(orgs, tmp_path):
    competition("C-1", orgs["A"])
    status, out, _err = run("export", "C-1")
    assert status == 0 and out.startswith("code: C-1\n")
    target = tmp_path / "c-1.yaml"
    status, _out, err = run("export", "C-1", "--out", str(target))
    assert status == 0 and target.read_text(encoding="utf-8") == out and "已写入" in err
    status, _out, err = run("load", str(target))
    assert status == 0 and "未作修改" in err
    assert load_spec(out) == load_spec(Competition.objects.get(code="C-1").spec)
    status, _out, err = run("export", "NOPE")
    assert status == 1 and err.strip() == "没有编码为“NOPE”的竞赛。"


def test_status_moves_or_says_what_blocks_it(orgs):
    competition("C-1", orgs["A"])
    status, out, _err = run("status", "C-1", "registration_open", "--reason", "开赛")
    assert status == 0 and out.strip() == "“C-1 焊工”已变更为“报名中”。"
    assert StatusChange.objects.get().reason == "开赛"
    status, out, _err = run("status", "C-1", "报名截止")  # the Chinese name works too
    assert status == 0 and Competition.objects.get(code="C-1").status == Status.REGISTRATION_CLOSED
    status, _out, err = run("status", "C-1", "in_progress")
    assert status == 1 and "暂不能变更为“比赛进行中”" in err and "  - 尚无审核通过的报名" in err
    status, _out, err = run("status", "C-1", "final")
    assert status == 1 and err.strip() == "竞赛不能从“报名截止”变更为“已定稿”。"
    status, _out, err = run("status", "C-1", "done")
    assert status == 1 and "“done”不是竞赛状态" in err
    assert Competition.objects.get(code="C-1").status == Status.REGISTRATION_CLOSED


def test_status_needs_the_permission_with_user(orgs):
    competition("C-1", orgs["A"])
    factories.user("contact", role=Role.UNIT_CONTACT, org=orgs["unit_a"])
    status, _out, err = run("status", "C-1", "registration_open", "--user", "contact")
    assert status == 1 and "competitions.transition" in err


def test_list_shows_codes_states_and_scope(orgs):
    competition("C-A", orgs["A"], status="registration_open")
    competition("C-B", orgs["B"])
    status, out, _err = run("list")
    lines = out.splitlines()
    assert status == 0 and len(lines) == 2 and lines[0].startswith("C-A") and "报名中" in lines[0]
    status, out, _err = run("list", "--status", "draft")
    assert [line.split()[0] for line in out.splitlines()] == ["C-B"]
    factories.user("district-a", role=Role.ORGANIZER, org=orgs["A"])
    status, out, err = run("list", "--user", "district-a")
    assert [line.split()[0] for line in out.splitlines()] == ["C-A"] and "有权查看" in err
    status, out, err = run("list", "--series", "NONE")
    assert out == "" and err.strip() == "没有竞赛。"
