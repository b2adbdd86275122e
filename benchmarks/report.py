"""How long the report of the demo takes to generate (PDF, HTML and XLSX, bokmål and English),
and each view of the analysts' dashboard of the run behind it.

Builds the demo in a temporary SQLite database (Django's test database utilities), runs the mid
scenario with 1000 draws (seed 0), publishes it and times the report in each format and language,
without the disk cache, then every view of the run's analyst dashboard (frames read, tables and
charts built). Run: ``.venv/bin/python benchmarks/report.py [--draws N]``.
"""

from __future__ import annotations

import argparse
import io
import time

from demo_database import demo_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args()

    from pypdf import PdfReader

    with demo_database() as analyst:
        from battkomp.analysis.dashboards.analyst import VIEWS, build_view
        from battkomp.analysis.models import Scenario
        from battkomp.analysis.publishing.actions import do_publish_run
        from battkomp.analysis.report.build import build_report
        from battkomp.analysis.report.html import render_html
        from battkomp.analysis.report.pdf import render_pdf
        from battkomp.analysis.report.xlsx import render_xlsx
        from battkomp.analysis.runs.actions import do_start_run

        mid = Scenario.objects.get(name="mid")
        run = do_start_run(analyst, scenario=mid, draws=args.draws, seed=0, background=False)
        if run.error:
            raise SystemExit(f"the run failed: {run.error}")
        publication = do_publish_run(run, analyst, title="Benchmark")
        print(f"demo publication: {args.draws} draws")
        total = 0.0
        for lang in ("nb", "en"):
            for name, writer in (("pdf", render_pdf), ("html", render_html), ("xlsx", render_xlsx)):
                start = time.perf_counter()
                content = writer(build_report(publication, lang))
                took = time.perf_counter() - start
                total += took
                print(f"{name:4} {lang}: {took:6.2f} s  ({len(content) / 1024:.0f} KiB)")
        print(f"all six: {total:.2f} s (target: one report under 15 s)")
        english = build_report(publication, "en")
        pages = len(PdfReader(io.BytesIO(render_pdf(english))).pages)
        print(
            f"the English PDF: {pages} pages, {len(english.tables())} tables, "
            f"{len(english.figures())} figures"
        )
        print("analyst dashboard of the run:")
        for view in VIEWS:
            start = time.perf_counter()
            built = build_view(publication.run, view)
            took = time.perf_counter() - start
            charts = len(built.charts) if built else 0
            print(f"{view:13} {took:6.2f} s  ({charts} charts)")


if __name__ == "__main__":
    main()
