"""The web half's translation catalogue without GNU gettext: extract, merge, check and compile.

The source language of every string is English; ``locale/nb/LC_MESSAGES/django.po`` holds the
bokmål translation and ``django.mo`` (what Django reads) is compiled from it by :func:`compile_mo`.
Strings are collected the way ``makemessages`` would, in pure Python:

- templates under ``templates/`` and ``<app>/templates/``: Django's own ``templatize`` turns
  ``{% translate %}`` and ``{% blocktranslate %}`` (plurals, contexts, ``with`` variables) into
  gettext calls, which are then read here;
- Python files (except the engine, which has its own bilingual catalogue, and migrations):
  calls of ``gettext``, ``_``, ``gettext_lazy``, ``ngettext``, ``pgettext``, ``npgettext`` and
  friends with string-literal arguments, found with :mod:`ast`. A call whose message is built at
  run time (an f-string, a concatenation, ``.format()`` or ``%`` inside the call) cannot be
  translated and is reported as a problem;
- visible text a template shows outside the translation tags (text nodes and the title,
  aria-label, alt and placeholder attributes) is reported as a problem too.

Command line (``python -m battkomp.core.i18n_check``): ``update`` merges the extracted strings into
the .po file (new ones untranslated, vanished ones dropped), ``compile`` writes the .mo file,
``check`` lists what is missing, and exits non-zero if anything is.
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import struct
import sys
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent  # src/battkomp
PO_PATH = PACKAGE / "locale" / "nb" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
EXCLUDED_DIRS = ("engine", "migrations", "locale", "static", "__pycache__")

# name -> (index of context, index of singular, index of plural); None when absent.
KEYWORDS: dict[str, tuple[int | None, int, int | None]] = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}

HEADER = """\
Project-Id-Version: battkomp
Language: nb
Language-Team: Norwegian Bokmål
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit
Plural-Forms: nplurals=2; plural=(n != 1);
"""


@dataclass
class Message:
    """One translatable string and where it occurs."""

    msgid: str
    context: str | None = None
    plural: str | None = None
    locations: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.context, self.msgid)


@dataclass
class Problem:
    """Something that keeps a user-facing string from being translated, and where it is."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass
class Entry:
    """One entry of a .po file."""

    msgid: str
    msgstr: list[str]  # one form, or one per plural form
    context: str | None = None
    plural: str | None = None
    flags: set[str] = field(default_factory=set)
    locations: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)  # translator comments ("# ...")

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.context, self.msgid)

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(s for s in self.msgstr) and not self.fuzzy


# --- extraction ---------------------------------------------------------------------------------


class Catalog:
    """Extracted messages in order of first appearance, merged by (context, msgid)."""

    def __init__(self) -> None:
        self.messages: dict[tuple[str | None, str], Message] = {}
        self.problems: list[Problem] = []

    def add(self, msg: Message, where: str) -> None:
        if not msg.msgid:
            self.problems.append(Problem(where, "an empty string is marked for translation"))
            return
        known = self.messages.get(msg.key)
        if known is None:
            msg.locations = [where]
            self.messages[msg.key] = msg
            return
        if known.plural != msg.plural and msg.plural is not None:
            if known.plural is None:
                known.plural = msg.plural
            else:
                self.problems.append(
                    Problem(
                        where,
                        f"{msg.msgid!r} has two different plurals: "
                        f"{known.plural!r} and {msg.plural!r}",
                    )
                )
        if where not in known.locations:
            known.locations.append(where)


def _literal(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _describe(node: ast.expr) -> str:
    if isinstance(node, ast.JoinedStr):
        return "an f-string"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return "a string concatenated from pieces"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return "a string formatted with % before translation"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return f"the result of .{node.func.attr}()"
    return "a value computed at run time"


def extract_python(source: str, name: str, catalog: Catalog) -> None:
    """Add the gettext calls with literal arguments in one Python source file."""
    tree = ast.parse(source, filename=name)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    for node in sorted(calls, key=lambda n: (n.lineno, n.col_offset)):
        func = node.func
        fname = (
            func.id
            if isinstance(func, ast.Name)
            else func.attr
            if isinstance(func, ast.Attribute) and func.attr != "_"
            else None
        )
        if fname not in KEYWORDS:
            continue
        where = f"{name}:{node.lineno}"
        ctx_i, sing_i, plur_i = KEYWORDS[fname]
        wanted = [i for i in (ctx_i, sing_i, plur_i) if i is not None]
        if len(node.args) <= max(wanted):
            continue  # not a translation call (or keywords only): nothing to extract
        values: dict[int, str | None] = {i: _literal(node.args[i]) for i in wanted}
        bad = [i for i in wanted if values[i] is None]
        if bad:
            arg = node.args[bad[0]]
            if isinstance(arg, ast.Name | ast.Attribute | ast.Subscript):
                # _(variable): the string is marked (gettext_noop or a code list) elsewhere.
                continue
            catalog.problems.append(
                Problem(
                    where,
                    f"{fname}() is given {_describe(arg)}; pass a string literal "
                    "with named placeholders and format after translating",
                )
            )
            continue
        catalog.add(
            Message(
                msgid=values[sing_i] or "",
                context=values[ctx_i] if ctx_i is not None else None,
                plural=values[plur_i] if plur_i is not None else None,
            ),
            where,
        )


_CALL_RE = re.compile(r"(?<![\w.])(npgettext|pgettext|ngettext|gettext|_)\(")


def _call_arguments(text: str) -> list[str] | None:
    """The string-literal arguments of the call that starts at ``text[0] == "("``."""
    args: list[str] = []
    depth = 0
    current: list[str] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.OP and tok.string == "(":
                depth += 1
                if depth == 1:
                    continue
            if tok.type == tokenize.OP and tok.string == ")":
                depth -= 1
                if depth == 0:
                    if current:
                        args.append("".join(current))
                    return args
            if depth == 1 and tok.type == tokenize.OP and tok.string == ",":
                args.append("".join(current))
                current = []
                continue
            if depth >= 1 and tok.type == tokenize.STRING:
                current.append(ast.literal_eval(tok.string))
            elif depth >= 1 and tok.type == tokenize.NAME:
                current.append("\0name")  # the `count` argument of ngettext
    except (tokenize.TokenError, SyntaxError, ValueError):
        return None
    return None


def extract_template(source: str, name: str, catalog: Catalog) -> None:
    """Add the translatable strings of one Django template (via Django's ``templatize``)."""
    from django.utils.translation.template import templatize

    code = templatize(source, origin=name)
    for lineno, line in enumerate(code.splitlines(), start=1):
        for m in _CALL_RE.finditer(line):
            func = m.group(1)
            args = _call_arguments(line[m.end() - 1 :])
            where = f"{name}:{lineno}"
            if args is None:
                catalog.problems.append(Problem(where, f"unreadable {func}() call in {line!r}"))
                continue
            ctx_i, sing_i, plur_i = KEYWORDS[func]
            strings = [a for a in args if a != "\0name"]
            try:
                msg = Message(
                    msgid=strings[sing_i],
                    context=strings[ctx_i] if ctx_i is not None else None,
                    plural=strings[plur_i] if plur_i is not None else None,
                )
            except IndexError:
                catalog.problems.append(Problem(where, f"unreadable {func}() call in {line!r}"))
                continue
            catalog.add(msg, where)


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


def source_files(package: Path = PACKAGE) -> Iterator[tuple[str, Path]]:
    """("template" | "python", path) for every file of the web half, in a stable order."""
    for path in sorted(package.rglob("*")):
        rel = path.relative_to(package)
        if not path.is_file() or any(part in EXCLUDED_DIRS for part in rel.parts[:-1]):
            continue
        if path.suffix == ".py":
            yield "python", path
        elif path.suffix in (".html", ".txt", ".xml") and "templates" in rel.parts:
            yield "template", path


def extract(package: Path = PACKAGE, extra: Iterable[Path] = ()) -> Catalog:
    """Every translatable string of the web half (plus any ``extra`` template files)."""
    catalog = Catalog()
    files = [*source_files(package), *(("template", Path(p)) for p in extra)]
    for kind, path in files:
        try:
            name = str(path.relative_to(package.parent))
        except ValueError:
            name = str(path)
        text = path.read_text(encoding="utf-8")
        if kind == "python":
            extract_python(text, name, catalog)
        else:
            extract_template(text, name, catalog)
            catalog.problems.extend(template_text_problems(text, name))
    return catalog


# --- placeholders -------------------------------------------------------------------------------

_PLACEHOLDER_RE = re.compile(
    r"%%|%\(\w+\)[#0+\-]*\d*(?:\.\d+)?[sdifrxXeEgGc]|%[#0+\-]*\d*(?:\.\d+)?[sdifrxXeEgGc]"
    r"|\{\w*(?:[.!:][^{}]*)?\}"
)


def placeholders(text: str) -> list[str]:
    """The format placeholders of a message, sorted: %(name)s, %s, %%, {name}."""
    return sorted(_PLACEHOLDER_RE.findall(text))


def _html_tags(text: str) -> list[str]:
    return sorted(re.findall(r"</?[a-zA-Z][^>]*>", text))


# --- .po files ----------------------------------------------------------------------------------

_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    '"': '"',
    "\\": "\\",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
}


def _unquote(s: str) -> str:
    s = s.strip()
    if not (s.startswith('"') and s.endswith('"')):
        msg = f"not a quoted string: {s!r}"
        raise ValueError(msg)
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), s[1:-1])


def _quote(s: str) -> str:
    return (
        '"'
        + s.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\t", "\\t")
        .replace("\r", "\\r")
        .replace("\n", "\\n")
        + '"'
    )


def read_po(text: str) -> tuple[str, list[Entry]]:
    """The header (msgstr of the empty msgid) and the entries of a .po file (obsolete dropped)."""
    entries: list[Entry] = []
    header = ""
    cur: dict[str, object] = {}
    field_name: str | None = None

    def finish() -> None:
        nonlocal header, cur, field_name
        if "msgid" in cur:
            strs = cur.get("msgstr", {})
            assert isinstance(strs, dict)
            msgstr = [strs[i] for i in sorted(strs)]
            msgid = str(cur["msgid"])
            if msgid == "" and cur.get("msgctxt") is None:
                header = msgstr[0] if msgstr else ""
            else:
                entries.append(
                    Entry(
                        msgid=msgid,
                        msgstr=msgstr,
                        context=cur.get("msgctxt"),  # type: ignore[arg-type]
                        plural=cur.get("msgid_plural"),  # type: ignore[arg-type]
                        flags=cur.get("flags", set()),  # type: ignore[arg-type]
                        locations=cur.get("locations", []),  # type: ignore[arg-type]
                        comments=cur.get("comments", []),  # type: ignore[arg-type]
                    )
                )
        cur = {}
        field_name = None

    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#~"):
            continue  # obsolete entry
        if line.startswith("#"):
            if "msgid" in cur and field_name is not None and field_name != "comment":
                finish()
            field_name = "comment"
            if line.startswith("#,"):
                cur.setdefault("flags", set()).update(  # type: ignore[attr-defined]
                    f.strip() for f in line[2:].split(",") if f.strip()
                )
            elif line.startswith("#:"):
                cur.setdefault("locations", []).extend(line[2:].split())  # type: ignore[attr-defined]
            elif line.startswith(("# ", "#\t")) or line == "#":
                cur.setdefault("comments", []).append(line[2:])  # type: ignore[attr-defined]
            continue
        try:
            if line.startswith("msgctxt "):
                if "msgid" in cur:
                    finish()
                field_name = "msgctxt"
                cur["msgctxt"] = _unquote(line[8:])
            elif line.startswith("msgid_plural "):
                field_name = "msgid_plural"
                cur["msgid_plural"] = _unquote(line[13:])
            elif line.startswith("msgid "):
                if "msgid" in cur:
                    finish()
                field_name = "msgid"
                cur["msgid"] = _unquote(line[6:])
            elif line.startswith("msgstr["):
                index = int(line[7 : line.index("]")])
                field_name = f"msgstr{index}"
                cur.setdefault("msgstr", {})[index] = _unquote(line[line.index("]") + 1 :])  # type: ignore[index]
            elif line.startswith("msgstr "):
                field_name = "msgstr0"
                cur.setdefault("msgstr", {})[0] = _unquote(line[7:])  # type: ignore[index]
            elif line.startswith('"'):
                value = _unquote(line)
                if field_name is None or field_name == "comment":
                    msg = "a string continues nothing"
                    raise ValueError(msg)
                if field_name.startswith("msgstr"):
                    strs = cur["msgstr"]
                    assert isinstance(strs, dict)
                    strs[int(field_name[6:])] += value
                else:
                    cur[field_name] = str(cur[field_name]) + value
            else:
                msg = f"unexpected line {raw!r}"
                raise ValueError(msg)
        except (ValueError, KeyError) as exc:
            msg = f"django.po line {lineno}: {exc}"
            raise ValueError(msg) from exc
    finish()
    return header, entries


def _po_string(keyword: str, value: str, width: int = 79) -> str:
    """A keyword and its string, split after newlines and at spaces to fit ``width``."""
    one = f"{keyword} {_quote(value)}"
    if len(one) <= width and "\n" not in value[:-1]:
        return one
    pieces: list[str] = []
    for chunk in re.split(r"(?<=\n)", value):
        if not chunk:
            continue
        while len(_quote(chunk)) > width - 2:
            words = re.split(r"(?<= )", chunk)
            line = ""
            for w in words:
                if line and len(_quote(line + w)) > width - 2:
                    break
                line += w
            if line == chunk or not line:
                break
            pieces.append(line)
            chunk = chunk[len(line) :]
        pieces.append(chunk)
    return "\n".join([f'{keyword} ""', *(_quote(p) for p in pieces)])


def write_po(header: str, entries: Iterable[Entry]) -> str:
    out = [
        "# Norwegian bokmål translation of battkomp's web pages.",
        "# The source language is English. New strings come in untranslated with",
        "#   python -m battkomp.core.i18n_check update",
        "# and the .mo file that Django reads is written by",
        "#   python -m battkomp.core.i18n_check compile",
        "#",
        'msgid ""',
        'msgstr ""',
        *(_quote(line) for line in re.split(r"(?<=\n)", header) if line),
    ]
    for e in entries:
        out.append("")
        out.extend(f"# {c}".rstrip() for c in e.comments)
        for i in range(0, len(e.locations), 4):
            out.append("#: " + " ".join(e.locations[i : i + 4]))
        if e.flags:
            out.append("#, " + ", ".join(sorted(e.flags)))
        if e.context is not None:
            out.append(_po_string("msgctxt", e.context))
        out.append(_po_string("msgid", e.msgid))
        if e.plural is not None:
            out.append(_po_string("msgid_plural", e.plural))
            forms = e.msgstr or ["", ""]
            out.extend(_po_string(f"msgstr[{i}]", s) for i, s in enumerate(forms))
        else:
            out.append(_po_string("msgstr", e.msgstr[0] if e.msgstr else ""))
    return "\n".join(out) + "\n"


def _flags_for(msgid: str, plural: str | None) -> set[str]:
    text = msgid + (plural or "")
    if re.search(r"%(\(\w+\))?[#0+\-]*\d*(?:\.\d+)?[sdif]", text):
        return {"python-format"}
    if re.search(r"\{\w+\}", text):
        return {"python-brace-format"}
    return set()


def merge(catalog: Catalog, entries: list[Entry]) -> list[Entry]:
    """The entries for the extracted messages: translations kept, new ones empty, gone dropped."""
    known = {e.key: e for e in entries}
    merged: list[Entry] = []
    for msg in catalog.messages.values():
        old = known.get(msg.key)
        forms = 2 if msg.plural is not None else 1
        msgstr = list(old.msgstr) if old else []
        if old is not None and old.plural != msg.plural:
            msgstr = msgstr[:1]  # the plural changed: ask for a look again
        msgstr = (msgstr + [""] * forms)[:forms]
        flags = _flags_for(msg.msgid, msg.plural)
        if old is not None and (old.fuzzy or old.plural != msg.plural):
            flags.add("fuzzy")
        merged.append(
            Entry(
                msgid=msg.msgid,
                msgstr=msgstr,
                context=msg.context,
                plural=msg.plural,
                flags=flags,
                locations=list(msg.locations),
                comments=list(old.comments) if old else [],
            )
        )
    return merged


# --- checking -----------------------------------------------------------------------------------


def check(catalog: Catalog, entries: list[Entry]) -> list[Problem]:
    """What keeps the bokmål pages from being complete: untranslatable calls, strings without a
    (non-fuzzy, non-empty) translation, and translations whose placeholders or HTML differ."""
    problems = list(catalog.problems)
    known = {e.key: e for e in entries}
    for msg in catalog.messages.values():
        where = msg.locations[0]
        label = msg.msgid if msg.context is None else f"{msg.msgid} (context {msg.context!r})"
        entry = known.get(msg.key)
        if entry is None:
            problems.append(Problem(where, f"no translation in django.po for {label!r}"))
            continue
        if entry.fuzzy:
            problems.append(Problem(where, f"the translation of {label!r} is marked fuzzy"))
        forms = 2 if msg.plural is not None else 1
        if len(entry.msgstr) != forms or not all(s.strip() for s in entry.msgstr):
            problems.append(Problem(where, f"the translation of {label!r} is empty"))
            continue
        if (entry.plural is None) != (msg.plural is None):
            problems.append(Problem(where, f"{label!r} has a plural in one place only"))
    for entry in entries:
        sources = [entry.msgid] + ([entry.plural] if entry.plural is not None else [])
        wanted = placeholders(entry.msgid)
        wanted_all = sorted(set(wanted) | {p for s in sources for p in placeholders(s)})
        for i, s in enumerate(entry.msgstr):
            if not s:
                continue
            got = placeholders(s)
            ok = got == wanted if entry.plural is None else sorted(set(got)) == wanted_all
            if not ok:
                problems.append(
                    Problem(
                        f"django.po {entry.msgid!r}",
                        f"msgstr[{i}] has placeholders {got}, the English has "
                        f"{wanted if entry.plural is None else wanted_all}",
                    )
                )
            if _html_tags(s) != _html_tags(entry.msgid):
                problems.append(
                    Problem(f"django.po {entry.msgid!r}", f"msgstr[{i}] changes the HTML tags")
                )
    return problems


# --- compiling ----------------------------------------------------------------------------------


def compile_mo(header: str, entries: Iterable[Entry]) -> bytes:
    """A GNU .mo file (no hash table) of the translated, non-fuzzy entries, sorted by msgid."""
    table: dict[bytes, bytes] = {b"": header.encode("utf-8")}
    for e in entries:
        if not e.translated:
            continue
        key = e.msgid if e.plural is None else f"{e.msgid}\0{e.plural}"
        if e.context is not None:
            key = f"{e.context}\x04{key}"
        table[key.encode("utf-8")] = "\0".join(e.msgstr).encode("utf-8")
    keys = sorted(table)
    ids = strs = b""
    offsets: list[tuple[int, int, int, int]] = []
    for k in keys:
        offsets.append((len(ids), len(k), len(strs), len(table[k])))
        ids += k + b"\0"
        strs += table[k] + b"\0"
    n = len(keys)
    ids_start = 7 * 4 + n * 16
    strs_start = ids_start + len(ids)
    key_table: list[int] = []
    value_table: list[int] = []
    for id_off, id_len, str_off, str_len in offsets:
        key_table += [id_len, ids_start + id_off]
        value_table += [str_len, strs_start + str_off]
    head = struct.pack("<7I", 0x950412DE, 0, n, 7 * 4, 7 * 4 + n * 8, 0, 0)
    return head + struct.pack(f"<{4 * n}I", *key_table, *value_table) + ids + strs


def load(po_path: Path = PO_PATH) -> tuple[str, list[Entry]]:
    return read_po(po_path.read_text(encoding="utf-8"))


# --- command line -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m battkomp.core.i18n_check", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("command", choices=("update", "compile", "check"))
    args = parser.parse_args(argv)
    catalog = extract()
    header, entries = load() if PO_PATH.exists() else (HEADER, [])
    if args.command == "update":
        entries = merge(catalog, entries)
        PO_PATH.parent.mkdir(parents=True, exist_ok=True)
        header = HEADER  # the project's own header, whatever the file had
        PO_PATH.write_text(write_po(header, entries), encoding="utf-8")
        todo = sum(not e.translated for e in entries)
        print(f"{PO_PATH}: {len(entries)} strings, {todo} to translate")
    if args.command in ("update", "compile"):
        MO_PATH.write_bytes(compile_mo(header or HEADER, entries))
        print(f"{MO_PATH}: compiled")
    problems = check(catalog, entries)
    for p in problems:
        print(p, file=sys.stderr)
    if args.command == "check":
        print(f"{len(catalog.messages)} strings, {len(problems)} problems")
    return 1 if args.command == "check" and problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
