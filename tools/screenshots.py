"""Screenshots of the key pages, on a phone (390 px) and a laptop (1280 px), in bokmål and in
English, from a running site (``battkomp demo`` by default), with Debian's Chromium driven by
Playwright (no browser is downloaded).

    battkomp demo --port 8731 &
    python tools/screenshots.py --base http://127.0.0.1:8731 --out screenshots

Each page is saved whole as ``<out>/<who>-<page>-<lang>-<width>.png`` and measured: the script
prints the page's width against the window's and exits with status 1 if any page is wider than
its window (a horizontal scroll). ``--login EMAIL`` adds a demo account's own pages (every demo
password is the same; see ``battkomp demo``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
WIDTHS = (390, 1280)
LANGUAGES = {"nb": "", "en": "/en"}
DEMO_PASSWORD = "battkomp-demo-2026"

#: (name, path without the language prefix) of the public pages.
PUBLIC = [
    ("home", "/"),
    ("offers", "/offers/"),
    ("pathways", "/pathways/"),
    ("measures", "/measures/"),
    ("infrastructure", "/infrastructure/"),
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000", help="the running site")
    parser.add_argument("--out", default="screenshots", type=Path, help="folder of the PNGs")
    parser.add_argument("--version", default="1", help="the publication to show")
    parser.add_argument("--login", action="append", default=[], help="a demo account's e-mail")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    base = args.base.rstrip("/")
    too_wide: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        for who in [None, *args.login]:
            for width in WIDTHS:
                context = browser.new_context(viewport={"width": width, "height": 900})
                page = context.new_page()
                pages = PUBLIC
                if who:
                    page.goto(base + "/accounts/login/")
                    page.fill("input[name=email]", who)
                    page.fill("input[name=password]", DEMO_PASSWORD)
                    with page.expect_navigation():
                        page.click("main form button[type=submit]")
                    pages = OWN.get(who, [])
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
