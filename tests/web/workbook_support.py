"""What the workbook tests build their uploads from: the columns of a needs sheet and a workbook
made in memory.

The columns are written out here, not read from ``battkomp.workbooks.columns``, so that a test
comparing what the platform writes or reads with them can fail when the platform changes.
"""

from __future__ import annotations

import io
from typing import Any

import openpyxl

#: The columns of a needs sheet as the templates headed them before the facility column
#: (``facility``, last, which a file may leave out: uploads with only these still import).
NEED_COLUMNS = [
    "role",
    "level",
    "area",
    "year",
    "new_hires",
    "total_staff",
    "recruit_difficulty",
    "share_abroad",
    "critical_competences",
    "comment",
]


def workbook_bytes(
    rows: list[list[Any]], *, header: list[Any] = NEED_COLUMNS, sheet: str = "needs"
) -> bytes:
    """An .xlsx file with one sheet named ``sheet``: the header row, then the rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    ws.append(header)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
