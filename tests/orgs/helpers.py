import io

import openpyxl

from jingsai.core.models import AuditRecord
from jingsai.orgs.models import Organization

HEADERS = ["编码", "名称", "类型", "上级编码", "行政区划代码", "所有制", "职工人数"]


def xlsx(rows, headers=HEADERS):
    """A workbook as people make them: cells keep their Python types (numbers stay numbers)."""
    book = openpyxl.Workbook()
    book.active.append(headers)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def snapshot():
    """Everything an import could change: every organization's fields and the audit log."""
    orgs = list(Organization.objects.order_by("pk").values_list(
        "code", "name", "type", "parent_id", "path", "depth", "region_code", "ownership", "employee_count",
    ))
    return orgs, AuditRecord.objects.count()
