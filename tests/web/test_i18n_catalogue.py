"""The bokmål catalogue is complete: every user-facing string of the web half has a translation,
the translations keep the English placeholders and HTML, and the committed .mo file (what
Django reads) is what the committed .po file compiles to.

Extraction and compilation are Django's makemessages/compilemessages (GNU gettext), run by
``tools/i18n.py``, which adds the checks no tool makes. When a test here fails because of a new
string, run ``python tools/i18n.py update``, translate the new entries in
``src/battkomp/locale/nb/LC_MESSAGES/django.po`` and run ``python tools/i18n.py compile``.
"""

from __future__ import annotations

import gettext
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("battkomp_i18n_tool", ROOT / "tools" / "i18n.py")
assert _spec is not None
assert _spec.loader is not None
i18n = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = i18n
_spec.loader.exec_module(i18n)

needs_gettext = pytest.mark.skipif(
    shutil.which("msgfmt") is None, reason="GNU gettext is not installed (apt-get install gettext)"
)

NEW_TEMPLATE = (
    '{% extends "base.html" %}{% load i18n %}\n'
    "{% block content %}\n"
    '<h1>{% translate "Log in" %}</h1>\n'
    '<p>{% translate "A brand new sentence nobody has translated" %}</p>\n'
    "<p>{% blocktranslate count n=items|length %}{{ n }} new thing{% plural %}"
    "{{ n }} new things{% endblocktranslate %}</p>\n"
    '<p>{% translate "May" context "the month" %}</p>\n'
    "{% endblock %}\n"
)
NEW_PYTHON = (
    "from django.utils.translation import gettext as _, ngettext, pgettext_lazy\n"
    "A = _('Log in')\n"
    "B = _('A message someone added to a view')\n"
    "C = ngettext('%(n)d apple', '%(n)d apples', 3)\n"
    "D = pgettext_lazy('fruit', 'Orange')\n"
)
NEW_KEYS = {
    (None, "A brand new sentence nobody has translated", None),
    (None, "%(n)s new thing", "%(n)s new things"),
    ("the month", "May", None),
    (None, "A message someone added to a view", None),
    (None, "%(n)d apple", "%(n)d apples"),
    ("fruit", "Orange", None),
}


@pytest.fixture(scope="module")
def committed() -> polib.POFile:
    return polib.pofile(str(i18n.PO_PATH))


@pytest.fixture(scope="module")
def updated(tmp_path_factory: pytest.TempPathFactory) -> polib.POFile:
    """``update`` run on a copy of the package with a new template and a new Python module."""
    if shutil.which("msgfmt") is None:
        pytest.skip("GNU gettext is not installed")
    copy = tmp_path_factory.mktemp("i18n") / "battkomp"
    shutil.copytree(i18n.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "static"))
    (copy / "templates" / "new_page.html").write_text(NEW_TEMPLATE, encoding="utf-8")
    (copy / "core" / "new_module.py").write_text(NEW_PYTHON, encoding="utf-8")
    (copy / "engine" / "not_web.py").write_text(
        "_ = str\nX = _('The engine has its own catalogue')\n", encoding="utf-8"
    )
    return i18n.update(copy)


def report(problems: list[object]) -> str:
    return "\n".join(str(p) for p in problems[:40]) + (
        f"\n… and {len(problems) - 40} more" if len(problems) > 40 else ""
    )


# --- the committed catalogue -------------------------------------------------------------------


def test_the_web_half_has_hundreds_of_strings_to_translate(committed):
    assert len(committed) > 700
    kinds = {o[0].rsplit(".", 1)[-1] for e in committed for o in e.occurrences}
    assert {"py", "html", "txt"} <= kinds  # code, pages and e-mails
    assert any(e.msgid_plural for e in committed)
    assert any(e.msgctxt for e in committed)
    assert not any(o[0].startswith("engine/") for e in committed for o in e.occurrences)


def test_every_translation_is_there_and_keeps_the_placeholders_and_html(committed):
    problems = i18n.translation_problems(committed)
    assert not problems, "translate in django.po, then `python tools/i18n.py compile`:\n" + report(
        problems
    )


def test_no_template_shows_text_outside_the_translation_tags():
    problems = i18n.untranslated_template_text()
    assert not problems, report(problems)


@needs_gettext
def test_the_catalogue_holds_every_string_of_the_code_and_no_other(committed, updated):
    """The update of a copy with two new files brings exactly their new strings, so the
    committed django.po is up to date with everything else."""
    problems = i18n.staleness_problems(committed, updated)
    missing = {p.what.split(" is not in django.po")[0] for p in problems}
    assert len(problems) == len(NEW_KEYS), report(problems)
    assert "'A brand new sentence nobody has translated'" in missing
    assert any("Orange" in m and "context 'fruit'" in m for m in missing)


@needs_gettext
def test_an_update_keeps_the_translations_and_adds_new_strings_untranslated(updated):
    by_key = {i18n._key(e): e for e in updated}
    assert set(by_key) >= NEW_KEYS
    assert by_key[(None, "Log in", None)].msgstr == "Logg inn"
    for key in NEW_KEYS:
        entry = by_key[key]
        assert not entry.translated(), key
    assert {o[0] for o in by_key[(None, "Log in", None)].occurrences} >= {
        "templates/new_page.html",
        "core/new_module.py",
    }
    assert (None, "The engine has its own catalogue", None) not in by_key
    problems = report(i18n.translation_problems(updated))
    assert "'A message someone added to a view' is empty" in problems
    # (msgmerge may prefill a new string from a similar one, marked fuzzy: not translated either)
    assert "POT-Creation-Date" not in updated.metadata  # no header change on every run


def test_the_po_header_says_bokmal_with_two_plural_forms(committed):
    assert committed.metadata["Language"] == "nb"
    assert committed.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert "charset=UTF-8" in committed.metadata["Content-Type"]
    assert not set(i18n.VOLATILE_HEADER) & set(committed.metadata)


def test_the_catalogue_lives_where_django_looks_for_it():
    from django.conf import settings

    assert Path(settings.LOCALE_PATHS[0]) / "nb" / "LC_MESSAGES" / "django.po" == i18n.PO_PATH
    assert i18n.MO_PATH.exists()


def test_the_committed_mo_file_is_the_compiled_po_file(committed):
    assert not i18n.compiled_problems(), "run `python tools/i18n.py compile`"
    with i18n.MO_PATH.open("rb") as f:
        t = gettext.GNUTranslations(f)
    assert t.gettext("Log in") == "Logg inn"
    assert t.ngettext("%(n)s offer", "%(n)s offers", 1) == "%(n)s tilbud"
    assert (
        t.ngettext("%(counter)s organisation", "%(counter)s organisations", 2)
        == "%(counter)s organisasjoner"
    )
    assert t.pgettext("kind of change, a column heading", "Change") == "Endring"
    assert t.info()["language"] == "nb"


def test_django_serves_the_bokmal_catalogue():
    with translation.override("nb"):
        assert translation.gettext("Skip to content") == "Hopp til innholdet"
        assert (
            translation.ngettext("%(n)s offer covers this cell", "%(n)s offers cover this cell", 3)
            == "%(n)s tilbud dekker denne cellen"
        )
    with translation.override("en"):
        assert translation.gettext("Skip to content") == "Skip to content"


# --- the checks catch what they should ---------------------------------------------------------


def test_text_outside_translate_tags_is_reported():
    problems = i18n.template_text_problems(
        "{% load i18n %}<h1>Organisations</h1>\n"
        '<a href="{% url \'x\' %}" title="Open the page">{% translate "Open" %}</a>\n'
        "<p>{{ value }} GWh · NKR {{ level }}</p><code>battkomp model run</code>\n"
        '<button lang="en">English</button>\n'
        "{% blocktranslate %}Fine {{ x }}{% endblocktranslate %}\n",
        "page.html",
    )
    assert [str(p) for p in problems] == [
        "page.html:1: text outside {% translate %}: 'Organisations'",
        "page.html:2: text outside {% translate %}: 'Open the page'",
    ]


def test_an_empty_or_fuzzy_translation_or_a_lost_placeholder_is_reported():
    po = polib.POFile()
    po.append(polib.POEntry(msgid="Row %(row)s is wrong", msgstr="Raden er feil"))
    po.append(polib.POEntry(msgid="Save", msgstr="Lagre", flags=["fuzzy"]))
    po.append(polib.POEntry(msgid="Cancel", msgstr=""))
    po.append(polib.POEntry(msgid="<b>Bold</b>", msgstr="Fet"))
    po.append(
        polib.POEntry(
            msgid="%(n)s row",
            msgid_plural="%(n)s rows",
            msgstr_plural={0: "%(n)s rad", 1: "%(n)s rader"},
        )
    )
    po.append(
        polib.POEntry(
            msgid="%(n)s file",
            msgid_plural="%(n)s files",
            msgstr_plural={0: "%(n)s fil", 1: "%(m)s filer"},
        )
    )
    po.append(polib.POEntry(msgid="Fine {name}", msgstr="Greit {name}"))
    text = report(i18n.translation_problems(po))
    assert "msgstr[0] has placeholders [], the English has ['%(row)s']" in text
    assert "'Save' is marked fuzzy" in text
    assert "'Cancel' is empty" in text
    assert "changes the HTML tags" in text
    assert "msgstr[1] has placeholders ['%(m)s']" in text
    assert "row" not in text.replace("'%(row)s'", "").replace("Row %(row)s", "")
    assert "Fine" not in text
    assert len(i18n.translation_problems(po)) == 5


def test_a_string_the_code_dropped_is_reported_as_stale():
    committed, fresh = polib.POFile(), polib.POFile()
    committed.append(polib.POEntry(msgid="Old", msgstr="Gammel"))
    committed.append(polib.POEntry(msgid="Kept", msgstr="Beholdt"))
    fresh.append(polib.POEntry(msgid="Kept", msgstr="Beholdt"))
    problems = i18n.staleness_problems(committed, fresh)
    assert [str(p) for p in problems] == [
        "django.po: 'Old' is no longer in the code (run `... update`)"
    ]


def test_a_message_built_at_run_time_is_reported_by_ruff(tmp_path: Path):
    """Ruff's INT rules (selected in pyproject.toml) catch what gettext cannot extract."""
    code = tmp_path / "views.py"
    code.write_text(
        "from django.utils.translation import gettext as _, gettext_lazy\n"
        "name = 'x'\n"
        'a = _(f"Hello {name}")\n'
        'b = gettext_lazy("Hello %s" % name)\n'
        'c = _("Hello {}".format(name))\n'
        'd = _("Hello %(name)s") % {"name": name}\n',
        encoding="utf-8",
    )
    config = ["--config", str(ROOT / "pyproject.toml"), "--output-format", "concise"]
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", *config, str(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    found = [line.split(": ")[1].split()[0] for line in proc.stdout.splitlines() if ": INT" in line]
    assert found == ["INT001", "INT003", "INT002"], proc.stdout + proc.stderr
