"""Screenshots of the key pages, on a phone (390 px) and a laptop (1280 px), in bokmål and in
English, from a running site (``battkomp demo`` by default), with Debian's Chromium driven by
Playwright (no browser is downloaded).

    battkomp demo --port 8731 &
    python tools/screenshots.py --base http://127.0.0.1:8731 --out screenshots

Each page is saved whole as ``<out>/<who>-<page>-<lang>-<width>.png`` and measured: the script
prints the page's width against the window's and exits with status 1 if any page is wider than
its window (a horizontal scroll). ``--login EMAIL`` adds a demo account's own pages (every demo
password is the same; see ``battkomp demo``).

``--report`` also downloads the publication's PDF report in both languages and saves its cover
and a page of tables (the one with the most tables beside a chart) as
``<out>/report-cover-<lang>.png`` and ``<out>/report-table-<lang>.png`` (drawn by ``pdftoppm``
from Debian's poppler-utils).
``--only-report`` does that alone. ``--page NAME`` (repeatable) takes only the pages named,
e.g. ``--page dashboard``.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
WIDTHS = (390, 1280)
LANGUAGES = {"nb": "", "en": "/en"}
DEMO_PASSWORD = "battkomp-demo-2026"
#: How long a page may take to load (a busy machine, a cold cache).
LOAD_TIMEOUT_MS = 180_000

#: (name, path without the language prefix) of the public pages.
PUBLIC = [
    ("home", "/"),
    ("offers", "/offers/"),
    ("pathways", "/pathways/"),
    ("measures", "/measures/"),
    ("infrastructure", "/infrastructure/"),
    ("glossary", "/glossary/"),
    ("published", "/published/"),
    ("publication", "/published/{version}/"),
    ("dashboard", "/published/{version}/dashboard/"),
    ("contact", "/contact/"),
    ("login", "/accounts/login/"),
]
#: The own pages of the demo's accounts.
OWN = {
    "respondent@fjordcell.example": [("needs", "/survey/"), ("gaps", "/analysis/company/")],
    "analyst@battkomp.example": [
        ("organisations", "/organisations/"),
        ("rounds", "/survey/rounds/"),
        ("model", "/analysis/"),
    ],
}


def shoot(page: Page, url: str, path: Path) -> tuple[int, int]:
    page.goto(url)
    page.screenshot(path=str(path), full_page=True)
    width = page.evaluate("document.scrollingElement.scrollWidth")
    return int(width), int(page.evaluate("window.innerWidth"))


#: A table's caption in the PDF ("Tabell 3: …", "Table 3: …"); the lists of tables in the
#: front matter have no colon after the number.
TABLE_CAPTION = re.compile(r"\b(Tabell|Table) \d+:")
FIGURE_CAPTION = re.compile(r"\b(Figur|Figure) \d+:")
REPORT_DPI = 110


def fetch_report(url: str, wait: float = 120.0) -> bytes:
    """The report at ``url``; while the task worker is still rendering it (503), ask again."""
    deadline = time.monotonic() + wait
    while True:
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                return bytes(response.read())
        except urllib.error.HTTPError as error:
            if error.code != 503 or time.monotonic() > deadline:
                raise
            time.sleep(3)


def table_page(pdf: bytes) -> int:
    """The number (from 1) of the report's page that shows the most tables along with a chart
    (the first such page), else its first page with a table."""
    from pypdf import PdfReader

    texts = [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]
    tables = [n for n, text in enumerate(texts, start=1) if TABLE_CAPTION.search(text)]
    if not tables:
        raise SystemExit("the report has no page with a table")
    both = [n for n in tables if FIGURE_CAPTION.search(texts[n - 1])]
    if not both:
        return tables[0]
    return max(both, key=lambda n: (len(TABLE_CAPTION.findall(texts[n - 1])), -n))


def report_pages(base: str, version: str, out: Path) -> None:
    """The report's cover and its first table page in both languages, as PNG."""
    if shutil.which("pdftoppm") is None:
        raise SystemExit("pdftoppm is missing: apt-get install poppler-utils")
    for lang, prefix in LANGUAGES.items():
        pdf = fetch_report(f"{base}{prefix}/published/{version}/report/?format=pdf&lang={lang}")
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "report.pdf"
            source.write_bytes(pdf)
            for name, number in (("cover", 1), ("table", table_page(pdf))):
                target = out / f"report-{name}-{lang}"
                subprocess.run(
                    ["pdftoppm", "-png", "-r", str(REPORT_DPI), "-f", str(number), "-l",
                     str(number), "-singlefile", str(source), str(target)],
                    check=True,
                )  # fmt: skip
                print(f"{target}.png  page {number} of the PDF")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000", help="the running site")
    parser.add_argument("--out", default="screenshots", type=Path, help="folder of the PNGs")
    parser.add_argument("--version", default="1", help="the publication to show")
    parser.add_argument("--login", action="append", default=[], help="a demo account's e-mail")
    parser.add_argument(
        "--report", action="store_true", help="also the report's cover and a table page"
    )
    parser.add_argument("--only-report", action="store_true", help="only the report's pages")
    parser.add_argument(
        "--page", action="append", default=[], help="only this page (by name; may be repeated)"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    base = args.base.rstrip("/")
    if args.report or args.only_report:
        report_pages(base, args.version, args.out)
    if args.only_report:
        return 0
    too_wide: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        for who in [None, *args.login]:
            for width in WIDTHS:
                context = browser.new_context(viewport={"width": width, "height": 900})
                # a dashboard on a cold cache draws every chart three times: give it time
                context.set_default_timeout(LOAD_TIMEOUT_MS)
                page = context.new_page()
                pages = PUBLIC
                if who:
                    page.goto(base + "/accounts/login/")
                    page.fill("input[name=email]", who)
                    page.fill("input[name=password]", DEMO_PASSWORD)
                    with page.expect_navigation():
                        page.click("main form button[type=submit]")
                    pages = OWN.get(who, [])
                if args.page:
                    pages = [(name, path) for name, path in pages if name in args.page]
                for lang, prefix in LANGUAGES.items():
                    for name, path in pages:
                        url = base + prefix + path.format(version=args.version)
                        tag = (who or "public").split("@")[0]
                        out = args.out / f"{tag}-{name}-{lang}-{width}.png"
                        scroll, inner = shoot(page, url, out)
                        flag = "" if scroll <= inner else "  WIDER THAN THE WINDOW"
                        print(f"{out}  {scroll}/{inner} px{flag}")
                        if flag:
                            too_wide.append(str(out))
                context.close()
        browser.close()
    return 1 if too_wide else 0


if __name__ == "__main__":
    sys.exit(main())
