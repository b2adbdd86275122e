"""The bokmål catalogue is complete: every user-facing string of the web half has a translation,
the translations keep the English placeholders and HTML, and the committed .mo file (what
Django reads) is what the committed .po file compiles to.

The checker is pure Python (battkomp.core.i18n_check): no GNU gettext is needed. When a test
here fails because of a new string, run ``python -m battkomp.core.i18n_check update``, translate
the new entries in ``src/battkomp/locale/nb/LC_MESSAGES/django.po`` and run
``python -m battkomp.core.i18n_check compile``.
"""

from __future__ import annotations

import gettext
import io
from pathlib import Path

import pytest
from django.utils import translation

from battkomp.core import i18n_check
from battkomp.core.i18n_check import (
    MO_PATH,
    PO_PATH,
    Catalog,
    Entry,
    check,
    compile_mo,
    extract,
    extract_python,
    load,
    merge,
    read_po,
    template_text_problems,
    write_po,
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return extract()


@pytest.fixture(scope="module")
def po() -> tuple[str, list[Entry]]:
    return load()


def report(problems: list[i18n_check.Problem]) -> str:
    return "\n".join(str(p) for p in problems[:40]) + (
        f"\n… and {len(problems) - 40} more" if len(problems) > 40 else ""
    )


# --- the committed catalogue -------------------------------------------------------------------


def test_the_web_half_has_hundreds_of_strings_to_translate(catalog):
    assert len(catalog.messages) > 700
    kinds = {m.locations[0].rsplit(".", 1)[-1].split(":")[0] for m in catalog.messages.values()}
    assert {"py", "html", "txt"} <= kinds  # code, pages and e-mails
    assert any(m.plural for m in catalog.messages.values())
    assert any(m.context for m in catalog.messages.values())


def test_every_user_facing_string_has_a_bokmal_translation(catalog, po):
    _header, entries = po
    problems = check(catalog, entries)
    assert not problems, (
        "strings without a bokmål translation (run `python -m battkomp.core.i18n_check update`, "
        "translate in django.po, then `... compile`):\n" + report(problems)
    )


def test_every_translation_keeps_the_placeholders_and_the_html_of_the_english(po):
    _header, entries = po
    bad = check(Catalog(), entries)
    assert not bad, report(bad)
    assert all(e.msgstr and all(e.msgstr) for e in entries)
    assert not [e.msgid for e in entries if e.fuzzy]


def test_the_po_header_says_bokmal_with_two_plural_forms(po):
    header, _entries = po
    assert "Language: nb\n" in header
    assert "Plural-Forms: nplurals=2; plural=(n != 1);\n" in header
    assert "charset=UTF-8" in header


def test_the_catalogue_lives_where_django_looks_for_it():
    from django.conf import settings

    assert Path(settings.LOCALE_PATHS[0]) / "nb" / "LC_MESSAGES" / "django.po" == PO_PATH
    assert MO_PATH.exists()


def test_the_committed_mo_file_is_the_compiled_po_file(po):
    header, entries = po
    assert MO_PATH.read_bytes() == compile_mo(header, entries), (
        "django.mo is out of date: run `python -m battkomp.core.i18n_check compile`"
    )


def test_the_compiled_catalogue_reads_as_gnu_gettext(po):
    header, entries = po
    t = gettext.GNUTranslations(io.BytesIO(compile_mo(header, entries)))
    assert t.gettext("Log in") == "Logg inn"
    assert t.ngettext("%(n)s offer", "%(n)s offers", 1) == "%(n)s tilbud"
    assert (
        t.ngettext("%(counter)s organisation", "%(counter)s organisations", 2)
        == "%(counter)s organisasjoner"
    )
    assert t.pgettext("kind of change, a column heading", "Change") == "Endring"
    assert t.info()["language"] == "nb"
    forms = sum(len(e.msgstr) for e in entries if e.translated)  # a plural has one per form
    assert len(t._catalog) == forms + 1  # + the header


def test_django_serves_the_bokmal_catalogue():
    with translation.override("nb"):
        assert translation.gettext("Skip to content") == "Hopp til innholdet"
        assert (
            translation.ngettext("%(n)s offer covers this cell", "%(n)s offers cover this cell", 3)
            == "%(n)s tilbud dekker denne cellen"
        )
    with translation.override("en"):
        assert translation.gettext("Skip to content") == "Skip to content"


def test_writing_and_reading_the_po_file_changes_nothing(po):
    header, entries = po
    text = write_po(header, entries)
    assert read_po(text) == (header, entries)
    assert write_po(*read_po(text)) == text


# --- the checker catches what it should --------------------------------------------------------


def test_a_new_untranslated_template_string_makes_the_check_fail(tmp_path: Path, po):
    _header, entries = po
    template = tmp_path / "templates" / "new_page.html"
    template.parent.mkdir()
    template.write_text(
        '{% extends "base.html" %}{% load i18n %}\n'
        "{% block content %}\n"
        '<h1>{% translate "Log in" %}</h1>\n'
        '<p>{% translate "A brand new sentence nobody has translated" %}</p>\n'
        "<p>{% blocktranslate count n=items|length %}{{ n }} new thing{% plural %}"
        "{{ n }} new things{% endblocktranslate %}</p>\n"
        '<p>{% translate "May" context "the month" %}</p>\n'
        "{% endblock %}\n",
        encoding="utf-8",
    )
    problems = check(extract(extra=[template]), entries)
    text = report(problems)
    assert "A brand new sentence nobody has translated" in text
    assert "%(n)s new thing" in text
    assert "context 'the month'" in text
    assert "new_page.html:4" in text
    assert "'Log in'" not in text  # translated already
    assert len(problems) == 3


def test_a_new_untranslated_python_string_makes_the_check_fail(po):
    _header, entries = po
    catalog = Catalog()
    extract_python(
        "from django.utils.translation import gettext as _, ngettext, pgettext_lazy\n"
        "A = _('Log in')\n"
        "B = _('A message someone added to a view')\n"
        "C = ngettext('%(n)d apple', '%(n)d apples', 3)\n"
        "D = pgettext_lazy('fruit', 'Orange')\n",
        "app/views.py",
        catalog,
    )
    assert set(catalog.messages) == {
        (None, "Log in"),
        (None, "A message someone added to a view"),
        (None, "%(n)d apple"),
        ("fruit", "Orange"),
    }
    assert catalog.messages[(None, "%(n)d apple")].plural == "%(n)d apples"
    text = report(check(catalog, entries))
    assert "A message someone added to a view" in text
    assert "%(n)d apple" in text
    assert "Orange" in text
    assert "'Log in'" not in text


@pytest.mark.parametrize(
    ("code", "what"),
    [
        ('_(f"Hello {name}")', "an f-string"),
        ('_("Hello " + name)', "concatenated"),
        ('_("Hello %s" % name)', "formatted with %"),
        ('_("Hello {}".format(name))', ".format()"),
    ],
)
def test_a_message_built_at_run_time_is_reported_as_untranslatable(code, what):
    catalog = Catalog()
    extract_python(
        f"from django.utils.translation import gettext as _\nx = {code}\n", "v.py", catalog
    )
    assert not catalog.messages
    assert len(catalog.problems) == 1
    assert what in str(catalog.problems[0])
    assert str(catalog.problems[0]).startswith("v.py:2")


def test_text_outside_translate_tags_is_reported():
    problems = template_text_problems(
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
    catalog = Catalog()
    extract_python(
        "from django.utils.translation import gettext as _\n"
        "a = _('Row %(row)s is wrong')\nb = _('Save')\nc = _('Cancel')\nd = _('<b>Bold</b>')\n",
        "x.py",
        catalog,
    )
    entries = merge(catalog, [])
    by_id = {e.msgid: e for e in entries}
    by_id["Row %(row)s is wrong"].msgstr = ["Raden er feil"]
    by_id["Save"].msgstr = ["Lagre"]
    by_id["Save"].flags.add("fuzzy")
    by_id["<b>Bold</b>"].msgstr = ["Fet"]
    text = report(check(catalog, entries))
    assert "msgstr[0] has placeholders [], the English has ['%(row)s']" in text
    assert "'Save' is marked fuzzy" in text
    assert "'Cancel' is empty" in text
    assert "changes the HTML tags" in text
    # A fuzzy or empty entry is left out of the compiled file, as msgfmt does.
    t = gettext.GNUTranslations(io.BytesIO(compile_mo(i18n_check.HEADER, entries)))
    assert t.gettext("Save") == "Save"
    assert t.gettext("Row %(row)s is wrong") == "Raden er feil"


def test_merging_keeps_translations_and_adds_new_strings_untranslated(po):
    _header, entries = po
    catalog = Catalog()
    extract_python(
        "from django.utils.translation import gettext as _\n_('Log in')\n_('Brand new')\n",
        "x.py",
        catalog,
    )
    merged = {e.msgid: e for e in merge(catalog, entries)}
    assert set(merged) == {"Log in", "Brand new"}
    assert merged["Log in"].msgstr == ["Logg inn"]
    assert merged["Brand new"].msgstr == [""]
