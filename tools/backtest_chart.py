"""The backtest chart of docs/model.md §14: the report's chart of the shipped backtest (Norway,
October 2021, against 2024-2025; the same 2 000 draws and seed as the report's method section),
drawn in English as an SVG file.

    python tools/backtest_chart.py            # writes docs/backtest.svg
    python tools/backtest_chart.py --out X.svg
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "backtest.svg")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "battkomp.site.settings")
    import django

    django.setup()
    from django.utils import translation

    from battkomp.analysis.report.sections.backtest import _backtest, backtest_spec
    from battkomp.core.charts import render_svg

    with translation.override("en"):
        table = _backtest().table
        svg = render_svg(
            backtest_spec(table),
            name="backtest",
            description=(
                "Backtest: the forecast made with the October 2021 pipeline (bar: P10-P90, "
                "tick: median) and what happened (diamond), for the cell industry."
            ),
        )
    args.out.write_text(str(svg) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
