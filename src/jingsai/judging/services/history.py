"""Every mark's history (who, when, old, new, why), to read and to export."""

from django.utils import timezone

from jingsai.core import spreadsheets as sheets

from ..models import MarkEvent
from .marking import shown

COLUMNS = [
    sheets.Column("at", "时间", width=18), sheets.Column("station", "赛位号", width=8),
    sheets.Column("aspect", "评分项", width=8), sheets.Column("judge", "裁判编号", width=10),
    sheets.Column("action", "操作", width=14), sheets.Column("old", "原分数", width=8),
    sheets.Column("new", "新分数", width=8), sheets.Column("by", "操作人", width=14),
    sheets.Column("source", "来源", width=14), sheets.Column("reason", "原因", width=40),
]


def events(stage):
    return (MarkEvent.objects.filter(mark__contestant__stage=stage)
            .select_related("mark__contestant", "mark__aspect", "mark__judge", "by").order_by("at", "pk"))


def xlsx(found):
    """The events as a spreadsheet, one row each, times in China time."""
    rows = [[timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"), e.mark.contestant.station_number,
             e.mark.aspect.code, e.mark.judge.code, str(e.get_action_display()), shown(e.old), shown(e.new),
             str(e.by or ""), str(e.get_source_display()) if e.source else "", e.reason] for e in found]
    return sheets.xlsx_bytes(COLUMNS, rows, sheet_name="评分记录"), len(rows)
