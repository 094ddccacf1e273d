"""The command line speaks the user's language from the first word: argparse's own usage
line and errors (a missing argument, an unknown sub-command or choice) come out in
Chinese, like every message of the commands themselves."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests import factories
from tests.commands import ROOT, process_env, run_command


def _jingsai(*args):
    script = Path(sys.executable).with_name("jingsai")  # the console script, as people run it
    return subprocess.run([str(script), *args], env=process_env(), cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize(("args", "said"), [
    (["registrations", "import"], "jingsai registrations import：错误：缺少必需的参数：code, file"),
    (["registrations"], "错误：缺少必需的参数：{import,export,approve,reject,withdraw}"),
    (["orgs", "frob"], "参数 {import,export}：无效的选择 'frob'（可选：'import', 'export'）"),
    (["results", "export", "C", "--format", "pdf"], "参数 --format：无效的选择 'pdf'（可选：'json', 'csv', 'xlsx'）"),
    (["results", "export", "C", "--format", "json", "--surprise"], "无法识别的参数：--surprise"),
])
def test_usage_errors_are_in_chinese(args, said):
    done = _jingsai(*args)
    assert done.returncode == 2
    assert said in done.stderr, done.stderr
    assert "用法：jingsai" in done.stderr
    assert "error:" not in done.stderr and "usage:" not in done.stderr


def test_help_is_in_chinese():
    done = _jingsai("results", "export", "--help")
    assert done.returncode == 0
    assert done.stdout.startswith("用法：jingsai results export")
    assert "位置参数" in done.stdout and "显示本帮助并退出" in done.stdout
    # Django's own options are not listed (their help is English), and still work.
    assert "--traceback" not in done.stdout and "--skip-checks" not in done.stdout
    assert _jingsai("results", "--traceback", "-v", "0", "export", "NO-SUCH", "--format", "json").returncode == 1


@pytest.mark.django_db
def test_a_file_that_cannot_be_written_is_said_in_chinese_not_a_traceback(tmp_path):
    orgs = factories.tree()
    competition = factories.competition(host=orgs["union"])
    missing = tmp_path / "no-such-folder" / "out.xlsx"
    for args in (["judges", "export", competition.code, "--out", str(missing)],
                 ["registrations", "export", competition.code, "--format", "xlsx", "--out", str(missing)],
                 ["orgs", "export", "--root", orgs["union"].code, "--out", str(missing)]):
        code, _out, said = run_command(*args)
        assert code == 1, args
        assert said.strip() == f"无法读写文件 {missing}：没有这个文件或文件夹。", (args, said)
    code, _out, said = run_command("orgs", "export", "--root", orgs["union"].code, "--out", str(tmp_path))
    assert (code, said.strip()) == (1, f"无法读写文件 {tmp_path}：这是一个文件夹。")
