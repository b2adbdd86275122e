"""Content in two languages: names and descriptions that editors enter in bokmål and English.

A bilingual text is two model fields, ``<base>_nb`` and ``<base>_en`` (e.g. ``title_nb`` and
``title_en``). At least one of them holds text (:func:`require_one`, called from the models'
``clean``, and a database check). Reading ``obj.<base>`` (a :class:`Bilingual` descriptor) gives
the text in the active language, or, when that is empty, the other language's text marked as a
fallback: a :class:`Text`, a ``str`` that knows its language. In a template it renders itself
marked, ``<span lang="nb">Batterilab</span> <span class="lang-fallback">(bokmål)</span>``, so
the reader sees it is not in the page's language and a screen reader switches its voice.
Where markup cannot go (an attribute, ``<option>``, a download), use :func:`plain`.

Existing single-language fields were moved into the bilingual fields by each app's migration
with :func:`guess_language` (decisions.md, "Bilingual content").
"""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, gettext_lazy

#: The content languages, the site's default first.
LANGS = ("nb", "en")

#: Template filters (a builtin library: every template has them without ``{% load %}``):
#: ``{{ x|plain }}`` (the text without marks, for attributes and options) and
#: ``<p {{ x|langattr }}>`` (``lang="nb"`` when ``x`` is a fallback, for texts that go through
#: another filter such as ``linebreaksbr``).
register = template.Library()


def lang_of(code: str | None = None) -> str:
    """The content language of a language code (``en-gb`` is ``en``); the default otherwise."""
    code = (code or get_language() or LANGS[0]).lower()
    return "en" if code.startswith("en") else "nb"


def other(lang: str) -> str:
    return "en" if lang == "nb" else "nb"


def fallback_label(lang: str) -> str:
    """What a fallback in ``lang`` is marked with, in the page's language."""
    return gettext("(in Norwegian)") if lang == "nb" else gettext("(in English)")


class Text(str):
    """A text with its language; ``fallback`` when it is not in the language asked for."""

    lang: str
    fallback: bool

    def __new__(cls, value: str, lang: str, fallback: bool = False) -> Text:
        text = super().__new__(cls, value)
        text.lang = lang
        text.fallback = fallback
        return text

    def __html__(self) -> SafeString:
        """The text for a page: escaped, and marked when it is a fallback."""
        if not self.fallback or not str(self):
            return mark_safe(escape(str(self)))
        return mark_safe(
            f'<span lang="{self.lang}">{escape(str(self))}</span> '
            f'<span class="lang-fallback">{escape(fallback_label(self.lang))}</span>'
        )

    @property
    def marked(self) -> str:
        """The text with its fallback mark as plain text (for downloads and e-mails)."""
        return f"{self} {fallback_label(self.lang)}" if self.fallback and str(self) else str(self)


def pick(obj: Any, base: str, lang: str | None = None) -> Text:
    """``obj``'s ``base`` text in ``lang`` (the active language), else the other language's,
    marked as a fallback; an empty :class:`Text` when both are empty."""
    want = lang_of(lang)
    value = getattr(obj, f"{base}_{want}", "") or ""
    if value:
        return Text(value, want)
    alt = getattr(obj, f"{base}_{other(want)}", "") or ""
    return Text(alt, other(want), fallback=True) if alt else Text("", want)


def pick_from(values: dict[str, str] | None, lang: str | None = None, default: str = "") -> Text:
    """The same choice from a ``{"nb": ..., "en": ...}`` dict (e.g. a publication's metadata)."""
    values = values or {}
    want = lang_of(lang)
    if values.get(want):
        return Text(values[want], want)
    alt = values.get(other(want)) or ""
    return Text(alt, other(want), fallback=True) if alt else Text(default, want)


@register.filter
def plain(value: object) -> str:
    """A text without its marks (an attribute, an option, a file name)."""
    return str(value) if value is not None else ""


@register.filter
def langattr(value: object) -> str:
    """``lang="xx"`` when ``value`` is a fallback :class:`Text` (else nothing)."""
    if isinstance(value, Text) and value.fallback and str(value):
        return mark_safe(f'lang="{escape(value.lang)}"')
    return ""


def marked(value: object) -> str:
    """Any value as plain text; a fallback :class:`Text` with its mark, e.g. "Batterilab (in
    Norwegian)" (for downloads, charts and e-mails, where no markup goes)."""
    return value.marked if isinstance(value, Text) else plain(value)


class Bilingual:
    """``obj.<base>``: the text in the active language (:func:`pick`). Read-only: write the
    ``<base>_nb`` and ``<base>_en`` fields."""

    def __init__(self, base: str = "") -> None:
        self.base = base

    def __set_name__(self, owner: type, name: str) -> None:
        self.base = self.base or name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return pick(obj, self.base)


def both_empty(base: str) -> Q:
    """The condition of a row with neither language (a check constraint forbids it)."""
    return Q(**{f"{base}_nb": ""}) & Q(**{f"{base}_en": ""})


def one_required_constraint(base: str, name: str) -> Any:
    """The database check that a row has ``base`` in at least one language."""
    from django.db import models

    return models.CheckConstraint(
        condition=~both_empty(base),
        name=name,
        violation_error_message=gettext_lazy("Give it in bokmål or English (or both)."),
    )


def require_one(obj: Any, base: str, message: str | None = None) -> None:
    """ValidationError on ``<base>_nb`` when neither language has text (stripped)."""
    for lang in LANGS:
        field = f"{base}_{lang}"
        value = getattr(obj, field, "")
        if isinstance(value, str) and value != value.strip():
            setattr(obj, field, value.strip())
    if not any(getattr(obj, f"{base}_{lang}", "") for lang in LANGS):
        raise ValidationError(
            {f"{base}_nb": message or gettext("Give it in bokmål or English (or both).")},
            code="required",
        )


def legacy_values(data: dict[str, Any], base: str) -> dict[str, Any]:
    """``data`` with a single-language ``base`` value (an older API client's, a CSV with one
    name column) moved to the active language's field, unless that field is given too."""
    out = dict(data)
    if base in out:
        value = out.pop(base)
        key = f"{base}_{lang_of()}"
        if not out.get(key):
            out[key] = value
    return out


# ---------------------------------------------------------------------- the migrations' choice

_NB_TEXT = (
    "og i for av med på til fra som er en et ei det den de ikke om ved etter under mellom "
    "hos eller også kurs studium utdanning modul batteri batterier celle celler laboratorium "
    "spørsmål resultater alt annet annen andre høy lav middels"
)
_EN_TEXT = (
    "and of the for in with on to from as is a an it not about by after under between at or "
    "also course programme program module battery batteries cell cells laboratory questions "
    "results everything else other high low"
)
_NB_WORDS = frozenset(_NB_TEXT.split())
_EN_WORDS = frozenset(_EN_TEXT.split())


def guess_language(text: str) -> str:
    """Which language an existing single-language text is in: ``en`` when it has more English
    than Norwegian function words and no æ, ø or å; ``nb`` otherwise (the site's language, and
    what a text that gives no sign, such as a proper name, is taken to be).

    >>> guess_language("Extra fagskole places in electrode manufacturing")
    'en'
    >>> guess_language("Etter- og videreutdanning i batteriproduksjon")
    'nb'
    >>> guess_language("SINTEF Battery Lab")
    'en'
    >>> guess_language("Morrow")
    'nb'
    """
    if re.search(r"[æøåÆØÅ]", text):
        return "nb"
    words = re.findall(r"[a-z]+", text.lower())
    en = sum(w in _EN_WORDS for w in words)
    nb = sum(w in _NB_WORDS for w in words)
    return "en" if en > nb else "nb"


def carry_over(app_label: str, model_name: str, bases: tuple[str, ...]) -> Any:
    """A migration step for rows whose single-language fields were renamed to ``<base>_nb``:
    a row whose texts (all of ``bases`` together) :func:`guess_language` takes for English
    moves them to ``<base>_en``. Backwards, ``<base>_nb`` takes the English text where it has
    none (the single field is then renamed back)."""
    from django.db import migrations

    def forwards(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        for row in model.objects.order_by("pk"):
            text = " ".join(getattr(row, f"{b}_nb") or "" for b in bases)
            if text.strip() and guess_language(text) == "en":
                changes: dict[str, str] = {}
                for b in bases:
                    changes[f"{b}_en"] = getattr(row, f"{b}_nb")
                    changes[f"{b}_nb"] = ""
                model.objects.filter(pk=row.pk).update(**changes)

    def backwards(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        for row in model.objects.order_by("pk"):
            changes = {
                f"{b}_nb": getattr(row, f"{b}_en")
                for b in bases
                if not getattr(row, f"{b}_nb") and getattr(row, f"{b}_en")
            }
            if changes:
                model.objects.filter(pk=row.pk).update(**changes)

    return migrations.RunPython(forwards, backwards)
