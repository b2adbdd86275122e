"""The report as a PDF typeset by Typst (the ``typst`` package: no browser), in the look of
``templates/analysis/report/publication.typ`` (a cover, the site's colours, Source Sans 3, a
running header and page numbers), with its contents, lists of tables and figures, and the
figures as SVG files beside the Typst source."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

from django.utils import formats, translation
from django.utils.translation import gettext

from battkomp.analysis.report import branding
from battkomp.analysis.report.structure import Report, Table


def _typ(value: str) -> str:
    """A Typst string literal (shown as text, never read as markup)."""
    clean = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", value)
    return json.dumps(clean, ensure_ascii=False)


def typst_source(
    report: Report,
    figures: dict[int, str],
    logos: list[tuple[str, str]] | None = None,
    partners: list[str] | None = None,
) -> str:
    """The report as Typst markup in the look of ``publication.typ``: ``figures`` maps a
    figure's number to its SVG file name, ``logos`` lists the (file name, name) of the partners'
    logos beside it, ``partners`` their names."""
    with translation.override(report.lang):
        day = report.day
        date = f"datetime(year: {day.year}, month: {day.month}, day: {day.day})" if day else "auto"
        before, middle, after = _split_pattern(
            gettext("Page %(page)s of %(pages)s"), ("%(page)s", "%(pages)s")
        )
        footer_left = f"battkomp · {report.publication}"
        if day:
            footer_left += f" · {formats.date_format(day, 'SHORT_DATE_FORMAT')}"
        facts = ", ".join(f"({_typ(label)}, {_typ(value)})" for label, value in report.facts)
        logo_list = ", ".join(f"({_typ(path)}, {_typ(name)})" for path, name in logos or [])
        partner_list = ", ".join(_typ(name) for name in partners or [])
        series, partners_label = gettext("Report"), gettext("Partners")
        contents, tables, figures_title = gettext("Contents"), gettext("Tables"), gettext("Figures")
        out = [
            '#import "publication.typ": publication, cover',
            f'#set document(title: {_typ(report.title)}, author: "battkomp", date: {date},'
            f" description: {_typ(report.subtitle)})",
            f'#set text(lang: "{report.lang}")',
            "#show: publication.with(",
            f"  short: {_typ(report.title)},",
            f"  footer-left: {_typ(footer_left)},",
            f"  page-words: ({_typ(before)}, {_typ(middle)}, {_typ(after)}),",
            ")",
            "#cover(",
            f"  title: {_typ(report.title)},",
            f"  other-title: {_typ(report.other_title)},",
            f'  other-lang: "{report.other_lang or report.lang}",',
            f"  series: {_typ(series)},",
            f"  publication: {_typ(report.publication)},",
            f"  facts: ({facts}{',' if len(report.facts) == 1 else ''}),",
            f"  partners-label: {_typ(partners_label)},",
            f"  partners: ({partner_list}{',' if len(partners or []) == 1 else ''}),",
            f"  logos: ({logo_list}{',' if len(logos or []) == 1 else ''}),",
            f"  note: {_typ(_cover_note())},",
            ")",
            f"#outline(title: {_typ(contents)})",
        ]
        if report.tables():
            out.append(f"#outline(title: {_typ(tables)}, target: figure.where(kind: table))")
        if report.figures():
            out.append(f"#outline(title: {_typ(figures_title)}, target: figure.where(kind: image))")
        for section in report.sections:
            out.append(f"#heading(level: 1)[#{_typ(section.title)}]")
            for kind, block in section.blocks:
                if kind == "p":
                    out.append(f"#{_typ(block)}\n")
                elif kind == "h":
                    out.append(f"#heading(level: 2)[#{_typ(block)}]")
                elif kind == "figure":
                    out.append(
                        f'#figure(image("{figures[block.number]}", width: 100%,'
                        f" alt: {_typ(block.caption)}), caption: [#{_typ(block.caption)}])"
                    )
                else:
                    out.append(_typst_table(block))
        return "\n".join(out) + "\n"


def _cover_note() -> str:
    return gettext(
        "Every number in this report comes from the published snapshot's protected tables "
        "(disclosure control); no single company's answer can be read from it."
    )


def _split_pattern(pattern: str, names: tuple[str, str]) -> tuple[str, str, str]:
    """A translated pattern with two placeholders split into the text before, between and after
    them; a translation must keep both, in this order."""
    first, second = names
    head, found, rest = pattern.partition(first)
    middle, found_second, tail = rest.partition(second)
    if not (found and found_second):
        raise ValueError(f"{pattern!r} must hold {first} and then {second}")
    return head, middle, tail


def _typst_table(table: Table) -> str:
    numeric = table.numeric()
    rows = table.display_rows()
    longest = [max([len(r[i][0]) for r in rows] + [0]) for i in range(len(numeric))]
    text = [n for n in range(len(numeric)) if not numeric[n] and longest[n] > 30]
    widths = ["auto"] * len(numeric)
    for n in text:  # long text columns share the width by their length
        widths[n] = f"{min(5, max(2, round(longest[n] / 25)))}fr" if len(text) > 1 else "1fr"
    align = ", ".join("right" if n else "left" for n in numeric)
    header = ", ".join(f"strong({_typ(c)})" for c in table.columns)
    cells = ",\n  ".join(", ".join(_typ(text) for text, _ in row) for row in rows)
    size = "7.5pt" if table.small else "8.5pt"
    return (
        f"#figure(\n text(size: {size}, table(columns: ({', '.join(widths)},), "
        f"align: ({align},),\n  table.header({header}),\n  {cells}\n )),\n"
        f" kind: table, caption: [#{_typ(table.caption)}])\n"
    )


#: Typst's own look of the report (cover, page, type, colours), beside the HTML template.
TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "analysis" / "report"
#: The charts' SVG text is set in the report's type family too.
_SVG_FONT = re.compile(r'font-family="[^"]*"')


def font_dirs() -> list[str]:
    """The folder of the report's type family: Source Sans 3 from the ``fontpkg-source-sans-3``
    package (SIL Open Font License 1.1, its LICENSE beside the files). Typst reads only these
    fonts and its own (no system fonts), so the PDF is the same on every machine."""
    import fontpkg_source_sans_3

    return [str(Path(fontpkg_source_sans_3.ROOT) / "files")]


def render_pdf(report: Report) -> bytes:
    """The report as a tagged PDF that declares and meets PDF/UA-1 (Typst checks it: a figure
    without a text alternative, for instance, is an error, not a silent omission)."""
    import typst

    with tempfile.TemporaryDirectory(prefix="battkomp-report-") as tmp:
        root = Path(tmp)
        shutil.copy(TEMPLATE / "publication.typ", root / "publication.typ")
        figures: dict[int, str] = {}
        for figure in report.figures():
            name = f"figure-{figure.number}.svg"
            svg = _SVG_FONT.sub('font-family="Source Sans 3"', figure.svg)
            (root / name).write_text(svg, encoding="utf-8")
            figures[figure.number] = name
        logo_files: list[tuple[str, str]] = []
        with translation.override(report.lang):
            for n, logo in enumerate(branding.logos(), start=1):
                data = branding.logo_bytes(logo)
                if data is None:
                    continue
                name = f"logo-{n}{logo.path.suffix.lower()}"
                (root / name).write_bytes(data)
                logo_files.append((name, logo.name or gettext("Partner logo")))
        main = root / "report.typ"
        source = typst_source(report, figures, logo_files, branding.partners())
        main.write_text(source, encoding="utf-8")
        pdf: bytes = typst.compile(
            str(main),
            root=str(root),
            font_paths=font_dirs(),
            ignore_system_fonts=True,
            pdf_standards=["ua-1"],
        )
    return pdf
