"""The bokmål catalogue of the web half: GNU gettext through Django, and the checks no tool makes.

The source language of every string is English; ``src/battkomp/locale/nb/LC_MESSAGES/django.po``
holds the bokmål translation and ``django.mo`` (what Django reads, committed too) is compiled from
it. Extracting, merging and compiling are Django's ``makemessages`` and ``compilemessages`` (GNU
gettext from Debian: ``apt-get install gettext``); this script runs them with the project's
options and adds what they do not check:

- visible text a template shows outside ``{% translate %}``/``{% blocktranslate %}`` (text nodes
  and the title, aria-label, alt and placeholder attributes);
- a translation whose placeholders (``%(name)s``, ``%s``, ``{name}``) or HTML tags differ from the
  English;
- an empty or fuzzy translation, and a catalogue that is not up to date with the code (a string
  in the code that django.po lacks, or one django.po keeps that the code no longer has).

A message built at run time inside a translation call (an f-string, ``.format()`` or ``%``) is
reported by ruff's ``INT`` rules (pyproject.toml).

Usage, from the repository root::

    python tools/i18n.py update    # extract and merge into django.po (new strings untranslated)
    python tools/i18n.py compile   # django.po -> django.mo (msgfmt --check-format)
    python tools/i18n.py check     # list the problems; exit 1 if there are any
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = SRC / "battkomp"
LOCALE = "nb"
PO_PATH = PACKAGE / "locale" / LOCALE / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")

#: Folders of the package that hold no strings of the web half: the engine has its own bilingual
#: catalogue (engine/problems.py), migrations are never shown.
IGNORED = ("engine", "migrations", "static", "__pycache__")
MAKEMESSAGES = (
    "makemessages",
    f"--locale={LOCALE}",
    "--extension=html,txt,py",
    "--no-obsolete",
    "--add-location=file",  # file names without line numbers: fewer merge conflicts
    *(f"--ignore={name}" for name in IGNORED),
)
#: Header fields gettext rewrites on every run; dropped so that django.po changes only with its
#: strings.
VOLATILE_HEADER = ("POT-Creation-Date", "PO-Revision-Date", "Report-Msgid-Bugs-To")


@dataclass(frozen=True)
class Problem:
    """Something that keeps a user-facing string from being translated, and where it is."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


# --- running Django's commands ------------------------------------------------------------------


def _django(args: tuple[str, ...] | list[str], package: Path) -> None:
    """Run ``python -m django ARGS`` in ``package`` (a ``battkomp`` folder), importing that copy."""
    if shutil.which("msgfmt") is None:
        msg = "GNU gettext is missing: install it (Debian: apt-get install gettext)"
        raise SystemExit(msg)
    with tempfile.TemporaryDirectory(prefix="battkomp-i18n-data-") as data:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "battkomp.site.settings",
            "PYTHONPATH": os.pathsep.join([str(package.parent), os.environ.get("PYTHONPATH", "")]),
            "BATTKOMP_DATA_DIR": data,  # settings create it; keep it out of the source tree
        }
        env.pop("DATABASE_URL", None)
        proc = subprocess.run(
            [sys.executable, "-m", "django", *args, "--verbosity=0"],
            cwd=package,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if proc.returncode != 0:
        msg = f"django {args[0]} failed:\n{proc.stdout}{proc.stderr}"
        raise SystemExit(msg)


def _tidy_header(po_path: Path) -> None:
    """Drop the header fields that change on every run (see VOLATILE_HEADER)."""
    text = po_path.read_text(encoding="utf-8")
    pattern = "|".join(re.escape(f) for f in VOLATILE_HEADER)
    tidy = re.sub(rf'^"(?:{pattern}): [^"]*\\n"\n', "", text, flags=re.MULTILINE)
    if tidy != text:
        po_path.write_text(tidy, encoding="utf-8")


def update(package: Path = PACKAGE) -> polib.POFile:
    """Extract the strings of ``package`` and merge them into its django.po: translations kept,
    new strings untranslated, vanished ones dropped."""
    _django(MAKEMESSAGES, package)
    po_path = package / PO_PATH.relative_to(PACKAGE)
    _tidy_header(po_path)
    return polib.pofile(str(po_path))


def compile_catalogue(package: Path = PACKAGE) -> None:
    """django.po -> django.mo with msgfmt (``--check-format``; fuzzy entries left out)."""
    _django(("compilemessages", f"--locale={LOCALE}"), package)


def fresh_catalogue() -> polib.POFile:
    """What ``update`` would make of django.po now, made in a copy of the package (the source
    tree is not touched)."""
    with tempfile.TemporaryDirectory(prefix="battkomp-i18n-") as tmp:
        copy = Path(tmp) / "battkomp"
        shutil.copytree(
            PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "static", "*.mo")
        )
        return update(copy)


# --- the checks ---------------------------------------------------------------------------------

_PLACEHOLDER_RE = re.compile(
    r"%%|%\(\w+\)[#0+\-]*\d*(?:\.\d+)?[sdifrxXeEgGc]|%[#0+\-]*\d*(?:\.\d+)?[sdifrxXeEgGc]"
    r"|\{\w*(?:[.!:][^{}]*)?\}"
)


def placeholders(text: str) -> list[str]:
    """The format placeholders of a message, sorted: %(name)s, %s, %%, {name}.

    >>> placeholders("Row %(row)s of {sheet}: 100 %%")
    ['%%', '%(row)s', '{sheet}']
    """
    return sorted(_PLACEHOLDER_RE.findall(text))


def html_tags(text: str) -> list[str]:
    """The HTML tags of a message, sorted.

    >>> html_tags('Read <a href="%(url)s">the guide</a>')
    ['</a>', '<a href="%(url)s">']
    """
    return sorted(re.findall(r"</?[a-zA-Z][^>]*>", text))


def _label(entry: polib.POEntry) -> str:
    return entry.msgid if not entry.msgctxt else f"{entry.msgid} (context {entry.msgctxt!r})"


def _where(entry: polib.POEntry) -> str:
    return entry.occurrences[0][0] if entry.occurrences else "django.po"


def translation_problems(catalogue: polib.POFile) -> list[Problem]:
    """Empty and fuzzy translations, and translations whose placeholders or HTML tags differ from
    the English (for a plural, each form has every placeholder of the singular and the plural)."""
    problems: list[Problem] = []
    for entry in catalogue:
        if entry.obsolete:
            continue
        where, label = _where(entry), _label(entry)
        forms = (
            [entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)]
            if entry.msgid_plural
            else [entry.msgstr]
        )
        if "fuzzy" in entry.flags:
            problems.append(Problem(where, f"the translation of {label!r} is marked fuzzy"))
        if not forms or not all(s.strip() for s in forms):
            problems.append(Problem(where, f"the translation of {label!r} is empty"))
            continue
        wanted = placeholders(entry.msgid)
        wanted_all = sorted(set(wanted) | set(placeholders(entry.msgid_plural or "")))
        for i, text in enumerate(forms):
            got = placeholders(text)
            ok = got == wanted if not entry.msgid_plural else sorted(set(got)) == wanted_all
            if not ok:
                english = wanted if not entry.msgid_plural else wanted_all
                problems.append(
                    Problem(
                        where,
                        f"{label!r}: msgstr[{i}] has placeholders {got}, the English has {english}",
                    )
                )
            if html_tags(text) != html_tags(entry.msgid):
                problems.append(Problem(where, f"{label!r}: msgstr[{i}] changes the HTML tags"))
    return problems


def _key(entry: polib.POEntry) -> tuple[str | None, str, str | None]:
    return (entry.msgctxt or None, entry.msgid, entry.msgid_plural or None)


def staleness_problems(committed: polib.POFile, fresh: polib.POFile) -> list[Problem]:
    """Strings the code has and the committed django.po lacks, and the other way round."""
    have = {_key(e) for e in committed if not e.obsolete}
    want = {_key(e): e for e in fresh if not e.obsolete}
    problems = [
        Problem(_where(e), f"{_label(e)!r} is not in django.po (run `python tools/i18n.py update`)")
        for key, e in want.items()
        if key not in have
    ]
    problems += [
        Problem("django.po", f"{key[1]!r} is no longer in the code (run `... update`)")
        for key in sorted(have - set(want), key=str)
    ]
    return problems


# Text a template may show untranslated: the product's name, language names written in their own
# language (the language switch), and codes and units that read the same in both languages.
SAME_IN_BOTH = frozenset(
    {"battkomp", "BattKOMP", "English", "Norsk", "bokmål", "GWh", "yr", "Excel", "OpenAPI"}
)
_VISIBLE_ATTRIBUTES = ("title", "aria-label", "alt", "placeholder")
_CODE_ELEMENTS = ("code", "pre", "kbd", "samp", "script", "style")


class _TextFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self.code_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _CODE_ELEMENTS:
            self.code_depth += 1
        for name, value in attrs:
            if name in _VISIBLE_ATTRIBUTES and value:
                self.found.append((self.getpos()[0], value))

    def handle_endtag(self, tag: str) -> None:
        if tag in _CODE_ELEMENTS and self.code_depth:
            self.code_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.code_depth:
            self.found.append((self.getpos()[0], data))


def _needs_translation(text: str) -> bool:
    for piece in text.split("\0"):
        for word in re.findall(r"[^\W\d_]{2,}", piece):
            if word not in SAME_IN_BOTH and not word.isupper():
                return True
    return False


def template_text_problems(source: str, name: str) -> list[Problem]:
    """Visible text of a template outside ``{% translate %}``/``{% blocktranslate %}``.

    Template tags, variables and translation blocks count as opaque; what is left is HTML whose
    text nodes and visible attributes (title, aria-label, alt, placeholder) must hold no words
    (code, pre and script elements are skipped, and so are the words in ``SAME_IN_BOTH``).
    """
    from django.template.base import Lexer, TokenType

    parts: list[str] = []
    depth = 0  # inside {% blocktranslate %} ... {% endblocktranslate %}
    for token in Lexer(source).tokenize():
        opaque = "\0" + "\n" * token.contents.count("\n")
        if token.token_type == TokenType.BLOCK:
            word = token.contents.split()[0] if token.contents.split() else ""
            if word in ("blocktranslate", "blocktrans"):
                depth += 1
            elif word in ("endblocktranslate", "endblocktrans"):
                depth = max(0, depth - 1)
            parts.append(opaque)
        elif token.token_type == TokenType.TEXT and not depth:
            parts.append(token.contents)
        else:
            parts.append(opaque)
    finder = _TextFinder()
    finder.feed("".join(parts))
    finder.close()
    return [
        Problem(
            f"{name}:{line}",
            f"text outside {{% translate %}}: {' '.join(text.replace(chr(0), '…').split())!r}",
        )
        for line, text in finder.found
        if _needs_translation(text)
    ]


def templates(package: Path = PACKAGE) -> Iterator[Path]:
    """The templates of the web half (``templates/`` and ``<app>/templates/``)."""
    for path in sorted(package.rglob("*")):
        rel = path.relative_to(package)
        if (
            path.is_file()
            and path.suffix in (".html", ".txt")
            and "templates" in rel.parts
            and not any(part in IGNORED for part in rel.parts)
        ):
            yield path


def untranslated_template_text(package: Path = PACKAGE) -> list[Problem]:
    problems: list[Problem] = []
    for path in templates(package):
        name = str(path.relative_to(package))
        problems += template_text_problems(path.read_text(encoding="utf-8"), name)
    return problems


def compiled_problems(po_path: Path = PO_PATH, mo_path: Path = MO_PATH) -> list[Problem]:
    """The committed .mo file holds exactly the translated, non-fuzzy entries of the .po file."""
    if not mo_path.exists():
        return [Problem(str(mo_path.name), "missing (run `python tools/i18n.py compile`)")]
    expected = {
        _key(e): (e.msgstr, e.msgstr_plural)
        for e in polib.pofile(str(po_path)).translated_entries()
    }
    compiled = {_key(e): (e.msgstr, e.msgstr_plural) for e in polib.mofile(str(mo_path)) if e.msgid}
    if compiled != expected:
        return [Problem(mo_path.name, "out of date (run `python tools/i18n.py compile`)")]
    return []


def check(*, fresh: bool = True) -> list[Problem]:
    """Every problem of the committed catalogue (``fresh``: compare it with the code too, which
    runs makemessages in a copy of the package)."""
    committed = polib.pofile(str(PO_PATH))
    problems = untranslated_template_text() + translation_problems(committed)
    if fresh:
        problems += staleness_problems(committed, fresh_catalogue())
    return problems + compiled_problems()


# --- command line -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python tools/i18n.py", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("command", choices=("update", "compile", "check"))
    args = parser.parse_args(argv)
    if args.command == "update":
        catalogue = update()
        todo = len(catalogue.untranslated_entries()) + len(catalogue.fuzzy_entries())
        print(f"{PO_PATH}: {len(catalogue)} strings, {todo} to translate")
        return 0
    if args.command == "compile":
        compile_catalogue()
        print(f"{MO_PATH}: compiled")
        return 0
    problems = check()
    for p in problems:
        print(p, file=sys.stderr)
    print(f"{len(polib.pofile(str(PO_PATH)))} strings, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
