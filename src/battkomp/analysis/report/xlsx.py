"""The report as an XLSX workbook: a contents sheet and one sheet per numbered table."""

from __future__ import annotations

import io

import xlsxwriter
from django.utils import translation
from django.utils.translation import gettext

from battkomp.analysis.report.structure import SUPPRESSED, Report, Year


def _rounded(value: float, exact: bool) -> tuple[float, str]:
    """A number as the report's tables print it (:func:`display_cell`): years as they are,
    figures to one decimal with a thousands separator; a table of parameters (``exact``) to four
    significant digits.

    >>> _rounded(Year(2030), False), _rounded(540.5287986527607, False), _rounded(0.0461538, True)
    ((2030, 'year'), (540.5, 'float'), (0.04615, 'exact'))
    """
    if isinstance(value, Year):
        return int(value), "year"
    if isinstance(value, int):
        return value, "int"
    if exact:
        return float(f"{value:.4g}"), "exact"
    return round(value, 1), "float"


def render_xlsx(report: Report) -> bytes:
    buffer = io.BytesIO()
    with translation.override(report.lang):
        book = xlsxwriter.Workbook(
            buffer,
            {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
        )
        bold = book.add_format({"bold": True})
        formats = {
            "year": book.add_format({"num_format": "0"}),
            "int": book.add_format({"num_format": "#,##0"}),
            "float": book.add_format({"num_format": "#,##0.0"}),
            "exact": book.add_format({"num_format": "General"}),
        }
        contents = book.add_worksheet(gettext("Contents")[:31])
        contents.write(0, 0, report.title, bold)
        contents.write(1, 0, report.subtitle)
        contents.write(3, 0, gettext("Sheet"), bold)
        contents.write(3, 1, gettext("Table"), bold)
        contents.set_column(0, 0, 12)
        contents.set_column(1, 1, 90)
        for i, table in enumerate(report.tables(), start=4):
            contents.write(i, 0, table.sheet)
            contents.write(i, 1, f"{gettext('Table')} {table.number}. {table.caption}")
        for table in report.tables():
            sheet = book.add_worksheet(table.sheet)
            sheet.write(0, 0, f"{gettext('Table')} {table.number}. {table.caption}", bold)
            for j, name in enumerate(table.columns):
                sheet.write_string(2, j, name, bold)
            for i, row in enumerate(table.rows, start=3):
                for j, value in enumerate(row):
                    if value is None:
                        sheet.write_string(i, j, SUPPRESSED)
                    elif isinstance(value, bool):
                        sheet.write_boolean(i, j, value)
                    elif isinstance(value, int | float):
                        number, fmt = _rounded(value, table.exact)
                        sheet.write_number(i, j, number, formats[fmt])
                    else:
                        sheet.write_string(i, j, str(value))
            sheet.set_column(0, len(table.columns) - 1, 16)
        book.close()
    return buffer.getvalue()
