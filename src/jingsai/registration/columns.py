"""The registration file's columns (headless-interface.md, "Registrations") and the
values its cells may hold."""

import datetime

from django.utils.translation import gettext_lazy as _

from jingsai.core import idnumber
from jingsai.core import spreadsheets as sheets
from jingsai.people.models import LEVEL_ALIASES, WorkerStatus

NAME = sheets.Column("name", "姓名", required=True, width=12, help=_("1 to 50 characters, as on the identity card."))
ID_NUMBER = sheets.Column(
    "id_number", "身份证号", required=True, text=True, width=22,
    help=_("18 characters. Keep this column formatted as text, or the spreadsheet drops the final X "
           "and the last digits."),
)
PHONE = sheets.Column("phone", "手机号", text=True, width=14, help=_("Optional: 11-digit mainland mobile number."))
UNIT = sheets.Column("unit_code", "单位编码", required=True, text=True, width=16,
                     help=_("The code of the worker's unit on the platform."))
LEVEL_CHOICES = ("无", "五级/初级工", "四级/中级工", "三级/高级工", "二级/技师", "一级/高级技师")
LEVEL = sheets.Column("level", "职业技能等级", width=16, choices=LEVEL_CHOICES,
                      help=_("Optional: 1 to 5, a level name, or 无 for none held."))
STATUS = sheets.Column("status", "身份类别", width=10, choices=("职工", "学生"),
                       help=_("职工 (the default) or 学生."))
GROUPS = sheets.Column("groups", "人员类别", width=20,
                       help=_("Optional: groups separated by commas, e.g. 农民工, 新就业形态."))
TEAM = sheets.Column("team", "团队", width=16, help=_("Team competitions: the team's name; one row per member."))
SCOPE = sheets.Column("scope", "赛区", text=True, width=14,
                      help=_("Split stages: the code of the 赛区 organization, when it is not the unit's own."))

BASE_COLUMNS = [NAME, ID_NUMBER, PHONE, UNIT, LEVEL, STATUS, GROUPS]


def columns_for(competition, stage, *, reading=False):
    """The columns of a registration file. Reading accepts every column (a 团队 or 赛区
    value where none belongs is reported, not ignored); a template offers only those the
    competition needs. 团队 is required in team mode."""
    team_mode = competition.mode == "team"
    columns = list(BASE_COLUMNS)
    if reading or team_mode:
        columns.append(sheets.Column(TEAM.key, TEAM.label, required=team_mode, width=TEAM.width, help=TEAM.help))
    if reading or (stage is not None and stage.scope_type):
        columns.append(SCOPE)
    return columns


LEVEL_VALUES = {**LEVEL_ALIASES, "无": None, "none": None, **{str(n): n for n in range(1, 6)}}
STATUS_VALUES = {"职工": WorkerStatus.WORKER, "学生": WorkerStatus.STUDENT, "worker": WorkerStatus.WORKER,
                 "student": WorkerStatus.STUDENT}
LEVEL_NAMES = {5: "五级/初级工", 4: "四级/中级工", 3: "三级/高级工", 2: "二级/技师", 1: "一级/高级技师",
               0: "特级技师", -1: "首席技师", None: "无"}
STATUS_NAMES = {WorkerStatus.WORKER: "职工", WorkerStatus.STUDENT: "学生"}

# The template's example row: a valid number no real person holds is not to be had, so
# the example uses one the import recognizes and refuses, in case the row is left in.
EXAMPLE_ID = idnumber.make("110105", datetime.date(1990, 1, 1), 123)
