import os
import subprocess
import sys

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from jingsai.accounts.models import Role
from jingsai.core import spreadsheets as sheets
from jingsai.core.models import AuditRecord
from jingsai.orgs import services
from jingsai.orgs.models import Organization
from tests.orgs.helpers import snapshot, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(make):
    return make.tree()


@pytest.fixture
def organizer(make, city):
    return make.user("da-org", role=Role.ORGANIZER, org=city["A"])


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


class TestImportPage:
    def test_every_problem_is_shown_and_the_error_file_offered(self, client_for, organizer, city):
        client = client_for(organizer)
        data = xlsx([["N-1", "", "企业", "SA"], ["N-2", "名", "公司", "SA"], ["EB", "乙企业", "企业", "SB"]])
        before = snapshot()
        response = client.post(reverse("orgs:import"), {"file": SimpleUploadedFile("单位.xlsx", data)})
        assert response.status_code == 200
        page = response.content.decode()
        assert "发现 3 处问题，未做任何更改。" in page
        assert "名称应为1至100个字符。" in page and "乙企业" not in page.split("id=\"problems\"")[0]
        assert snapshot() == before
        error_file = response.context["error_file"]
        download = client.get(error_file)
        assert download.status_code == 200
        table = sheets.read_table(b"".join(download.streaming_content), "errors.xlsx")
        assert table.headers[-1] == "错误说明"
        errors = [sheets.text(row[-1]) for row in table.rows]
        assert all(errors) and "管理" in errors[2]

    def test_an_unreadable_file_says_so_without_an_error_file(self, client_for, organizer):
        response = client_for(organizer).post(
            reverse("orgs:import"), {"file": SimpleUploadedFile("orgs.docx", b"not a spreadsheet")}
        )
        assert ".docx" in response.content.decode()
        assert "error_file" not in response.context

    def test_a_good_file_imports_and_says_how_many(self, client_for, organizer):
        data = xlsx([["N-1", "新企业", "企业", "SA"]])
        response = client_for(organizer).post(
            reverse("orgs:import"), {"file": SimpleUploadedFile("orgs.xlsx", data)}, follow=True
        )
        assert "新建 1 个" in response.content.decode()
        assert Organization.objects.filter(code="N-1").exists()

    def test_a_stashed_error_file_is_only_for_its_session(self, client_for, organizer, make, client):
        data = xlsx([["N-1", "", "企业", "SA"]])
        url = client_for(organizer).post(
            reverse("orgs:import"), {"file": SimpleUploadedFile("orgs.xlsx", data)}
        ).context["error_file"]
        from django.test import Client

        other = Client()
        other.force_login(make.user("someone-else", role=Role.ORGANIZER, org=Organization.objects.get(code="DA")))
        assert other.get(url).status_code == 404


class TestPages:
    def test_tree_search_detail_and_children(self, client_for, organizer, city):
        client = client_for(organizer)
        page = client.get(reverse("orgs:tree")).content.decode()
        assert "甲区总工会" in page and "乙区总工会" not in page
        found = client.get(reverse("orgs:tree"), {"q": "企业"}).content.decode()
        assert "甲企业" in found and "乙企业" not in found
        assert "甲街道" in client.get(reverse("orgs:children", args=[city["A"].pk])).content.decode()
        detail = client.get(reverse("orgs:detail", args=[city["street_a"].pk])).content.decode()
        assert "甲区总工会" in detail  # breadcrumb

    @pytest.mark.parametrize("query", ["?root=abc", "?root=99999", "?root="])
    def test_bad_query_strings_are_404_or_403_not_500(self, client_for, organizer, query):
        assert client_for(organizer).get(reverse("orgs:export") + query).status_code in (403, 404)
        assert client_for(organizer).get(reverse("orgs:create") + "?parent=x").status_code == 404

    def test_export_of_a_subtree(self, client_for, organizer, city):
        response = client_for(organizer).get(reverse("orgs:export"), {"root": city["A"].pk})
        table = sheets.read_table(response.content, "x.xlsx")
        assert [sheets.text(r[0]) for r in table.rows] == ["DA", "SA", "EA"]

    def test_create_with_bad_input_changes_nothing(self, client_for, organizer, city):
        before = snapshot()
        response = client_for(organizer).post(reverse("orgs:create"), {
            "code": "bad code", "name": "", "type": "nonsense", "parent_code": "NOPE", "region_code": "12",
            "employee_count": "-3",
        })
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert set(errors) == {"code", "name", "type", "parent_code", "region_code", "employee_count"}
        assert "NOPE" in errors["parent_code"][0]
        assert snapshot() == before

    def test_create_outside_scope_and_at_top_level_are_refused(self, client_for, organizer, city):
        client = client_for(organizer)
        base = {"code": "N-1", "name": "新", "type": "enterprise", "is_active": "on"}
        response = client.post(reverse("orgs:create"), {**base, "parent_code": "SB"})
        assert "只能" in response.context["form"].errors["parent_code"][0]
        response = client.post(reverse("orgs:create"), {**base, "parent_code": ""})
        assert response.context["form"].errors["parent_code"]
        assert not Organization.objects.filter(code="N-1").exists()

    def test_edit_moves_within_scope_and_refuses_loops(self, client_for, organizer, city, make):
        client = client_for(organizer)
        new_street = make.org("SA2", parent=city["A"])
        fields = {"code": "EA", "name": "甲企业", "type": "enterprise", "is_active": "on", "reason": "搬迁"}
        response = client.post(reverse("orgs:edit", args=[city["unit_a"].pk]), {**fields, "parent_code": "SA2"})
        assert response.status_code == 302
        assert Organization.objects.get(code="EA").path.startswith(new_street.path)
        record = AuditRecord.objects.filter(action="orgs.update").latest("id")
        assert record.reason == "搬迁" and record.changes["parent"] == ["SA", "SA2"]
        loop = client.post(reverse("orgs:edit", args=[city["street_a"].pk]),
                           {"code": "SA", "name": "甲街道", "type": "street", "parent_code": "SA"})
        assert loop.context["form"].errors["parent_code"]
        out = client.post(reverse("orgs:edit", args=[city["unit_a"].pk]), {**fields, "parent_code": "SB"})
        assert "只能" in out.context["form"].errors["parent_code"][0]


class TestApi:
    def test_list_is_scoped_and_paginated(self, client_for, organizer):
        body = client_for(organizer).get("/api/orgs/").json()
        assert {o["code"] for o in body["items"]} == {"DA", "SA", "EA"}

    def test_create_and_patch(self, client_for, organizer):
        client = client_for(organizer)
        created = client.post("/api/orgs/", {"code": "API-1", "name": "接口企业", "type": "enterprise",
                                             "parent_code": "SA", "employee_count": 10},
                              content_type="application/json")
        assert created.status_code == 201 and created.json()["parent_code"] == "SA"
        patched = client.patch("/api/orgs/API-1", {"employee_count": None, "ownership": "state"},
                               content_type="application/json")
        assert patched.status_code == 200
        assert patched.json()["employee_count"] is None and patched.json()["ownership"] == "state"

    @pytest.mark.parametrize(("body", "status", "words"), [
        ({"code": "bad code", "name": "x", "type": "enterprise", "parent_code": "SA"}, 400, "编码"),
        ({"code": "EA", "name": "x", "type": "enterprise", "parent_code": "SA"}, 400, "已被使用"),
        ({"code": "N-9", "name": "x", "type": "enterprise", "parent_code": "NOPE"}, 400, "NOPE"),
        ({"code": "N-9", "name": "x", "type": "enterprise", "parent_code": "SB"}, 403, "权限"),
        ({"code": "N-9", "name": "x", "type": "enterprise"}, 400, "管理员"),
        ({"code": "N-9", "name": "x", "type": "company", "parent_code": "SA"}, 422, "允许的取值"),
        ({"code": "N-9", "name": "x", "type": "enterprise", "parent_code": "SA", "region_code": "1"}, 400, "6"),
        ({"code": "N-9", "name": "x", "type": "enterprise", "parent_code": "SA", "employee_count": "many"}, 422,
         "整数"),
    ])
    def test_bad_input_gets_a_chinese_message_and_changes_nothing(self, client_for, organizer, body, status, words):
        before = snapshot()
        response = client_for(organizer).post("/api/orgs/", body, content_type="application/json")
        assert response.status_code == status, response.content
        assert words in response.json()["detail"]
        assert snapshot() == before

    def test_patch_cannot_move_out_of_scope_or_into_a_loop(self, client_for, organizer):
        client = client_for(organizer)
        before = snapshot()
        assert client.patch("/api/orgs/EA", {"parent_code": "SB"}, content_type="application/json").status_code == 403
        loop = client.patch("/api/orgs/SA", {"parent_code": "EA"}, content_type="application/json")
        assert loop.status_code == 400 and "下级" in loop.json()["detail"]
        assert snapshot() == before

    def test_import_rejected_lists_problems(self, client_for, organizer):
        data = xlsx([["N-1", "", "企业", "SA"], ["N-2", "名", "企业", "SB"]])
        before = snapshot()
        response = client_for(organizer).post("/api/orgs/import", {"file": SimpleUploadedFile("o.xlsx", data)})
        assert response.status_code == 403  # part of the file reaches outside the organizer's district
        body = response.json()
        assert body["detail"] == "文件未通过检查，未导入任何数据。"
        assert [p["row"] for p in body["problems"]] == [2, 3]
        assert snapshot() == before

    def test_import_ok(self, client_for, organizer):
        data = xlsx([["N-1", "新", "企业", "SA"]])
        response = client_for(organizer).post("/api/orgs/import", {"file": SimpleUploadedFile("o.xlsx", data)})
        assert response.json() == {"created": 1, "updated": 0, "unchanged": 0}


class TestCommand:
    def run(self, *args):
        """The command as a person runs it: exit status, output, errors."""
        from io import StringIO

        out, err = StringIO(), StringIO()
        try:
            call_command("orgs", *args, stdout=out, stderr=err)
            status = 0
        except SystemExit as exit_:
            status = exit_.code
        return status, out.getvalue(), err.getvalue()

    def test_round_trip_export_import_changes_nothing(self, city, tmp_path):
        out = tmp_path / "orgs.xlsx"
        assert self.run("export", "--out", str(out))[0] == 0
        before = snapshot()
        status, stdout, _err = self.run("import", str(out))
        assert status == 0 and "新建 0 个，更新 0 个，未变 7 个" in stdout
        assert snapshot()[0] == before[0]

    def test_rejected_file_exit_1_every_problem_no_traceback(self, city, tmp_path):
        bad = tmp_path / "bad.xlsx"
        bad.write_bytes(xlsx([["N-1", "", "企业", "SA"], ["N-2", "名", "公司", "SA"]]))
        before = snapshot()
        status, _out, err = self.run("import", str(bad))
        assert status == 1
        assert "文件未通过检查" in err and "第 2 行" in err and "第 3 行" in err
        assert "Traceback" not in err
        assert snapshot() == before

    def test_missing_file_and_unknown_user(self, city, tmp_path):
        status, _out, err = self.run("import", str(tmp_path / "nope.xlsx"))
        assert status == 1 and "不存在" in err
        status, _out, err = self.run("import", str(tmp_path / "nope.xlsx"), "--user", "ghost")
        assert status == 1 and "ghost" in err

    def test_acting_as_a_district_organizer_is_scoped(self, organizer, tmp_path):
        f = tmp_path / "o.xlsx"
        f.write_bytes(xlsx([["N-1", "新", "企业", "SB"]]))
        status, _out, err = self.run("import", str(f), "--user", "da-org")
        assert status == 1 and "管理" in err
        status, _out, err = self.run("export", "--out", str(tmp_path / "all.xlsx"), "--user", "da-org")
        assert status == 1
        assert self.run("export", "--root", "DA", "--out", str(tmp_path / "da.xlsx"), "--user", "da-org")[0] == 0

    def test_the_console_script_exits_1_without_a_traceback(self, tmp_path):
        bad = tmp_path / "bad.csv"
        bad.write_text("编码,名称\n", encoding="utf-8")
        env = {**os.environ, "JINGSAI_VAR_DIR": str(tmp_path)}
        env.pop("DATABASE_URL", None)
        jingsai = [sys.executable, "-m", "jingsai.cli"]
        subprocess.run([*jingsai, "migrate", "-v0"], env=env, check=True, timeout=300)
        done = subprocess.run([*jingsai, "orgs", "import", str(bad)], capture_output=True, text=True, timeout=120,
                              env=env)
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr and "类型" in done.stderr


def test_export_rows_query_count(city, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = list(services.export_rows())
    assert len(rows) == 7


@pytest.mark.django_db
def test_employee_counts_beyond_any_employer_are_refused_everywhere(client, make):
    city = make.tree()
    client.force_login(make.user("root", role=Role.ADMIN))
    before = snapshot()
    page = client.post(reverse("orgs:create"), {"code": "BIG", "name": "大", "type": "enterprise",
                                                "parent_code": "SA", "employee_count": str(10**12)})
    assert page.status_code == 200 and "employee_count" in page.context["form"].errors
    api = client.post("/api/orgs/", {"code": "BIG", "name": "大", "type": "enterprise", "parent_code": "SA",
                                     "employee_count": 10**12}, content_type="application/json")
    assert api.status_code == 422 and "employee_count" in api.json()["detail"]
    assert snapshot() == before
    assert city


@pytest.mark.django_db
def test_api_field_errors_name_the_field_in_chinese(client, make):
    city = make.tree()
    client.force_login(make.user("root2", role=Role.ADMIN))
    response = client.patch(f"/api/orgs/{city['unit_a'].code}", {"name": ""}, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"].startswith("名称：") and body["problems"][0]["where"] == "名称"
