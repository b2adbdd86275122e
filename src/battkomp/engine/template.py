"""An empty input bundle to fill in: an .xlsx workbook with instructions, code lists and
dropdowns, or a folder of CSV files with their header rows.

>>> import tempfile, pathlib
>>> out = write_template(pathlib.Path(tempfile.mkdtemp()) / "bundle", "csv")
>>> sorted(p.name for p in out.iterdir())[:3]
['README.txt', 'capacity_plans.csv', 'education_offers.csv']
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Literal

from battkomp.engine.bundle import load_inputs
from battkomp.engine.schema import BUNDLE_TABLES, TABLES, Column

INSTRUCTIONS_EN = """\
battkomp input bundle — instructions

Fill in one sheet per table. Keep the header row as it is; add one row per record below it.
Cells with a dropdown take a code from the sheet 'codes'. Blank optional cells take their default.
Numbers may use a decimal point or a decimal comma. Years are four digits.
Tables you do not need may stay empty. Every column is described in docs/bundle.md and in the
comment on its header cell.

Check the workbook before a run:   battkomp model check bundle.xlsx
Run the model on it:               battkomp model run --bundle bundle.xlsx
"""

INSTRUCTIONS_NB = """\
battkomp inndatapakke — veiledning

Fyll ut ett ark per tabell. La overskriftsraden stå som den er; legg inn én rad per post under den.
Celler med nedtrekksliste tar en kode fra arket «codes». Tomme valgfrie celler får standardverdien.
Tall kan ha desimalpunktum eller desimalkomma. År skrives med fire sifre.
Tabeller du ikke trenger, kan stå tomme. Hver kolonne er beskrevet i docs/bundle.md og i
kommentaren på overskriftscellen.

Sjekk arbeidsboken før en kjøring:  battkomp model check bundle.xlsx
Kjør modellen på den:               battkomp model run --bundle bundle.xlsx
"""

MAX_ROWS = 2000


def _code_lists() -> dict[str, list[str]]:
    inputs = load_inputs(None)
    areas = inputs["competence_areas"]
    lists = {
        "segments": [str(c) for c in inputs["segments"]["code"]],
        "regions": [str(c) for c in inputs["regions"]["code"]],
        "roles": [str(c) for c in inputs["roles"]["code"]],
        "education_levels": [str(c) for c in inputs["education_levels"]["code"]],
        "competence_areas": [
            str(c) for c, p in zip(areas["code"], areas["parent"], strict=True) if p
        ],
    }
    for name in BUNDLE_TABLES:
        for col in TABLES[name].columns:
            if col.choices:
                lists[f"{name}.{col.name}"] = list(col.choices)
    return lists


def _list_for(table: str, col: Column) -> str | None:
    if col.choices:
        return f"{table}.{col.name}"
    if col.kind == "ref" and col.ref_table in {
        "segments",
        "regions",
        "roles",
        "education_levels",
        "competence_areas",
    }:
        return col.ref_table
    return None


def write_template(path: Path, kind: Literal["xlsx", "csv"] = "xlsx") -> Path:
    """Write the template atomically and return where it went."""
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "xlsx":
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            _write_xlsx(Path(tmp))
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return path
    tmpdir = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        (tmpdir / "README.txt").write_text(
            INSTRUCTIONS_EN + "\n" + INSTRUCTIONS_NB, encoding="utf-8"
        )
        for name in BUNDLE_TABLES:
            header = ",".join(TABLES[name].column_names)
            (tmpdir / f"{name}.csv").write_text(header + "\n", encoding="utf-8")
        if path.exists():
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        tmpdir.rename(path)
    finally:
        if tmpdir.exists():
            shutil.rmtree(tmpdir)
    return path


def _write_xlsx(path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    try:
        bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        ws = wb.add_worksheet("instructions")
        ws.set_column(0, 0, 110)
        for i, line in enumerate((INSTRUCTIONS_EN + "\n" + INSTRUCTIONS_NB).splitlines()):
            ws.write_string(i, 0, line, wrap)
        lists = _code_lists()
        codes = wb.add_worksheet("codes")
        ranges: dict[str, str] = {}
        for j, (name, values) in enumerate(lists.items()):
            codes.write_string(0, j, name, bold)
            codes.set_column(j, j, max(14, len(name) + 2))
            for i, v in enumerate(values, start=1):
                codes.write_string(i, j, v)
            col = xlsxwriter.utility.xl_col_to_name(j)
            ranges[name] = f"=codes!${col}$2:${col}${len(values) + 1}"
        for name in BUNDLE_TABLES:
            spec = TABLES[name]
            sheet = wb.add_worksheet(name)
            for j, colname in enumerate(spec.column_names):
                sheet.write_string(0, j, colname, bold)
                sheet.set_column(j, j, max(12, len(colname) + 3))
                if colname == "source":
                    sheet.write_comment(0, j, "Where the figure comes from (URL or note).")
                    continue
                col = spec.column(colname)
                need = "required" if col.required and not col.default else "optional"
                sheet.write_comment(0, j, f"{col.description} ({col.kind}, {need})")
                lst = _list_for(name, col)
                if lst is not None:
                    sheet.data_validation(
                        1,
                        j,
                        MAX_ROWS,
                        j,
                        {
                            "validate": "list",
                            "source": ranges[lst],
                            "ignore_blank": True,
                        },
                    )
                elif col.kind in {"float", "int", "year"} and col.minimum is not None:
                    criteria: dict[str, object] = {
                        "validate": "decimal" if col.kind == "float" else "integer",
                        "ignore_blank": True,
                    }
                    if col.maximum is not None:
                        criteria.update(
                            criteria="between", minimum=col.minimum, maximum=col.maximum
                        )
                    else:
                        criteria.update(criteria=">=", value=col.minimum)
                    sheet.data_validation(1, j, MAX_ROWS, j, criteria)
            sheet.freeze_panes(1, 0)
    finally:
        wb.close()
