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
import os
import tempfile
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "battkomp.site.settings")
os.environ.setdefault("BATTKOMP_DATA_DIR", tempfile.mkdtemp(prefix="battkomp-bench-"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args()

    import django
    from pypdf import PdfReader

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    old = connection.creation.create_test_db(verbosity=0)
    try:
        from battkomp.accounts.actions import do_create_user
        from battkomp.accounts.models import Role
        from battkomp.analysis.dashboards.analyst import VIEWS, build_view
        from battkomp.analysis.models import Scenario
        from battkomp.analysis.publishing.actions import do_publish_run
        from battkomp.analysis.report.build import build_report
        from battkomp.analysis.report.html import render_html
        from battkomp.analysis.report.pdf import render_pdf
        from battkomp.analysis.report.xlsx import render_xlsx
        from battkomp.analysis.runs.actions import do_start_run
        from battkomp.demo import load_demo

        load_demo()
        analyst = do_create_user("bench@example.org", "x-bench-password-1", Role.ANALYST)
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
    finally:
        connection.creation.destroy_test_db(old, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
