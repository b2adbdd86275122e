"""The report as a PDF typeset by Typst (the ``typst`` package: no browser), with its contents,
lists of tables and figures, and the figures as SVG files beside the Typst source."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from django.utils import translation
from django.utils.translation import gettext

from battkomp.analysis.report.structure import Report, Table


def _typ(value: str) -> str:
    """A Typst string literal (shown as text, never read as markup)."""
    clean = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", value)
    return json.dumps(clean, ensure_ascii=False)


def typst_source(report: Report, figures: dict[int, str]) -> str:
    """The report as Typst markup; ``figures`` maps a figure's number to its SVG file name."""
    with translation.override(report.lang):
        out = [
            f"#set document(title: {_typ(report.title)})",
            '#set page(paper: "a4", margin: (x: 2cm, y: 2.2cm), numbering: "1",'
            " number-align: center)",
            f'#set text(lang: "{report.lang}", size: 10pt)',
            "#set par(justify: true)",
            '#set heading(numbering: "1.")',
            "#set table(stroke: 0.4pt + luma(170), inset: (x: 4pt, y: 3pt))",
            "#show table: set par(justify: false)",
            "#show figure.where(kind: table): set figure.caption(position: top)",
            "#show figure: set block(breakable: true)",
            "#show heading.where(level: 1): it => { v(6pt); it; v(3pt) }",
            "#align(center)[",
            "  #v(3cm)",
            f'  #text(size: 24pt, weight: "bold")[#{_typ(report.title)}]',
            "  #v(6pt)",
            f"  #text(size: 12pt)[#{_typ(report.subtitle)}]",
            "  #v(1cm)",
            "]",
            f"#outline(title: {_typ(gettext('Contents'))})",
        ]
        if report.tables():
            out.append(
                f"#outline(title: {_typ(gettext('Tables'))}, target: figure.where(kind: table))"
            )
        if report.figures():
            out.append(
                f"#outline(title: {_typ(gettext('Figures'))}, target: figure.where(kind: image))"
            )
        out.append("#pagebreak()")
        for section in report.sections:
            out.append(f"#heading(level: 1)[#{_typ(section.title)}]")
            for kind, block in section.blocks:
                if kind == "p":
                    out.append(f"#{_typ(block)}\n")
                elif kind == "h":
                    out.append(f"#heading(level: 2)[#{_typ(block)}]")
                elif kind == "figure":
                    out.append(
                        f'#figure(image("{figures[block.number]}", width: 100%), '
                        f"caption: [#{_typ(block.caption)}])"
                    )
                else:
                    out.append(_typst_table(block))
        return "\n".join(out) + "\n"


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


def render_pdf(report: Report) -> bytes:
    import typst

    with tempfile.TemporaryDirectory(prefix="battkomp-report-") as tmp:
        root = Path(tmp)
        figures: dict[int, str] = {}
        for figure in report.figures():
            name = f"figure-{figure.number}.svg"
            (root / name).write_text(figure.svg, encoding="utf-8")
            figures[figure.number] = name
        main = root / "report.typ"
        main.write_text(typst_source(report, figures), encoding="utf-8")
        pdf: bytes = typst.compile(str(main), root=str(root))
    return pdf
