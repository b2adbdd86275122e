"""The columns of the needs and offers sheets, their code lists, and formula-safe text.

One definition serves the templates (headers, dropdowns, number rules, instructions), the
importers (which columns must be there, how a cell is read) and the exports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from battkomp.core.codes import choices
from battkomp.core.terms import CODE_COLUMNS, column_name
from battkomp.engine.classifications import normalise_region
from battkomp.offers.models import OfferKind, OfferMode, OfferStatus

NEEDS_SHEET = "needs"
OFFERS_SHEET = "offers"
INSTRUCTIONS_SHEET = "instructions"
CODES_SHEET = "codes"

#: Cells a spreadsheet would read as a formula (or DDE command) when they start a text cell.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One column of a sheet.

    ``kind`` says how a cell is read and written: ``code`` (from the list ``codes``), ``name``
    (the name of a code of the list ``codes``, in the column beside that code's), ``int``,
    ``number``, ``share`` (0–1, or a percentage), ``year``, ``text``, ``areas``
    (``area:weight; area:weight``) or ``facility`` (a code of one of the answering
    organisation's facilities; the list is the organisation's, not a fixed code list).
    ``minimum``/``maximum`` bound numbers in the template's number rules.
    """

    name: str
    kind: str
    help: Promise
    required: bool = False
    codes: str = ""
    minimum: float | None = None
    maximum: float | None = None
    #: A column added later: a file made from an older template, without it, is still read
    #: (every cell of the column blank).
    may_be_missing: bool = False


NEEDS_COLUMNS: tuple[Column, ...] = (
    Column("role", "code", _("Role (a code from the list)."), required=True, codes="role"),
    Column("level", "code", _("Education level (an NKR code)."), required=True, codes="level"),
    Column(
        "area", "code", _("Competence area (a code from the list)."), required=True, codes="area"
    ),
    Column("year", "year", _("The year the numbers are for."), required=True),
    Column(
        "new_hires",
        "int",
        _("New hires needed that year (a whole number, 0 or more)."),
        minimum=0,
        maximum=1_000_000,
    ),
    Column(
        "total_staff",
        "int",
        _("Total staff in the role that year (a whole number, 0 or more)."),
        minimum=0,
        maximum=1_000_000,
    ),
    Column(
        "recruit_difficulty",
        "int",
        _("How hard the role is to recruit: 1 (easy) to 5 (very hard)."),
        codes="difficulty",
        minimum=1,
        maximum=5,
    ),
    Column(
        "share_abroad",
        "share",
        _("Share expected to be recruited from abroad: 0 % to 100 %."),
        minimum=0,
        maximum=1,
    ),
    Column("critical_competences", "text", _("Critical competences (free text).")),
    Column("comment", "text", _("Comment (free text).")),
    Column(
        "facility",
        "facility",
        _(
            "For a planned plant: the code of one of your organisation's facilities (see the "
            "sheet “codes”). Blank: the organisation as a whole."
        ),
        codes="facility",
        may_be_missing=True,
    ),
)

OFFERS_COLUMNS: tuple[Column, ...] = (
    Column(
        "code",
        "text",
        _(
            "A short code that identifies the offer (letters, digits, - and _). A row with the "
            "code of one of your offers updates it; a new code registers a new offer."
        ),
        required=True,
    ),
    Column(
        "name_nb",
        "text",
        _(
            "Name of the programme, course or module in bokmål (give it in bokmål, English or "
            "both)."
        ),
        may_be_missing=True,
    ),
    Column(
        "name_en",
        "text",
        _("Name of the programme, course or module in English."),
        may_be_missing=True,
    ),
    Column("kind", "code", _("Kind of offer."), required=True, codes="offer_kind"),
    Column(
        "level",
        "code",
        _("Education level (an NKR code), or evu for continuing education."),
        required=True,
        codes="level_or_evu",
    ),
    Column(
        "target_level",
        "code",
        _("For EVU and modules: the level the participants count at (required for evu)."),
        codes="level",
    ),
    Column(
        "study_places",
        "int",
        _("Study places per year (give study places or candidates, at least one)."),
        minimum=0,
        maximum=1_000_000,
    ),
    Column("candidates", "int", _("Candidates per year."), minimum=0, maximum=1_000_000),
    Column(
        "first_intake",
        "int",
        _("Year of the first intake."),
        required=True,
        minimum=1990,
        maximum=2100,
    ),
    Column("duration_years", "number", _("Duration in years."), minimum=0, maximum=10),
    Column("ects", "number", _("ECTS credits."), minimum=0, maximum=600),
    Column(
        "region", "code", _("Location (county or country code)."), required=True, codes="region"
    ),
    Column("mode", "code", _("Mode of study (blank means campus)."), codes="offer_mode"),
    Column("status", "code", _("Status of the offer."), required=True, codes="offer_status"),
    Column(
        "completion_rate",
        "share",
        _("Share of students who complete: 0 % to 100 %."),
        minimum=0,
        maximum=1,
    ),
    Column(
        "capture_share",
        "share",
        _("Share of the graduates who go to the battery industry: 0 % to 100 %."),
        minimum=0,
        maximum=1,
    ),
    Column("source", "text", _("Where the figures come from (a web address or a note).")),
    Column(
        "areas",
        "areas",
        _(
            "Competence areas with weights, as area:weight; area:weight (for example "
            "electrochemistry:0.6; cell_design:0.4). The weights add up to 1 (or to 100)."
        ),
        required=True,
    ),
)


#: The single name column of templates made before names had two languages: still read (as the
#: name in the uploader's language), never written.
OFFERS_OLD_NAME = Column(
    "name", "text", _("Name of the programme, course or module."), may_be_missing=True
)


def name_column(column: Column) -> Column:
    """The column of names beside a code column (``role_name`` beside ``role``): headed by the
    code column's kind ("Rolle" beside "Rolle (kode)"), filled with the codes' names in the
    reader's language, and read back: a name alone gives the code, a name beside a code must be
    that code's (:func:`battkomp.workbooks.reading.resolve_names`)."""
    return Column(
        f"{column.name}_name",
        "name",
        _(
            "The name of the code beside it, in your language. Give the code or the name (a "
            "name from the list is enough); if you give both, they must agree."
        ),
        codes=column.codes,
        may_be_missing=True,
    )


#: The competence areas of an offer by name, beside the column of their codes and weights: for
#: reading only (the import reads the codes).
AREA_NAMES = Column(
    "areas_name",
    "area_names",
    _("The competence areas' names with their weights, for reading: the import reads the codes."),
    may_be_missing=True,
)


def with_names(columns: Sequence[Column]) -> tuple[Column, ...]:
    """``columns`` with a name column after each code column (and the areas' names after an
    offer's areas): the templates' and exports' columns."""
    out: list[Column] = []
    for column in columns:
        out.append(column)
        if column.kind == "code":
            out.append(name_column(column))
        elif column.kind == "areas":
            out.append(AREA_NAMES)
    return tuple(out)


#: The columns of the templates and exports: the data columns, and names beside the codes.
NEEDS_SHEET_COLUMNS = with_names(NEEDS_COLUMNS)
OFFERS_SHEET_COLUMNS = with_names(OFFERS_COLUMNS)


def known_code(list_name: str, value: object) -> str | None:
    """The code a cell names, as the code list spells it (case does not matter), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if list_name == "region":
        text = normalise_region(text)  # Excel turns 03 into 3: the bundle reader's rule too
    return {code.lower(): code for code, _label in code_list(list_name)}.get(text.lower())


def code_for_name(list_name: str, value: object) -> str | None:
    """The code whose name, in bokmål or in English, a cell gives (case and surrounding spaces do
    not matter), or None. A name two codes share names neither."""
    from django.utils import translation

    found: dict[str, set[str]] = {}
    for lang in ("nb", "en"):
        with translation.override(lang):
            for code, text in code_list(list_name):
                found.setdefault(" ".join(text.split()).lower(), set()).add(code)
    codes = found.get(" ".join(str(value).split()).lower(), set())
    return next(iter(codes)) if len(codes) == 1 else None


def code_name(list_name: str, code: object) -> str:
    """The name of a code in the active language (blank for a blank or unknown code)."""
    if code in (None, ""):
        return ""
    return dict(code_list(list_name)).get(str(code), "")


def column_names(columns: tuple[Column, ...]) -> list[str]:
    return [c.name for c in columns]


def header(name: str) -> str:
    """The heading of a column in the active language (the terminology source): "Role (code)",
    "New hires", and "Role (name)" for the names beside a code (never just "Role", which an
    import could take for the code column's own name ``role``)."""
    if name == AREA_NAMES.name:
        return gettext("Competence areas with weights (names)")
    base = name.removesuffix("_name")
    if base != name and base in CODE_COLUMNS:
        return gettext("%(column)s (name)") % {"column": CODE_COLUMNS[base]}
    return column_name(name)


def display_header(columns: Sequence[Column]) -> list[str]:
    """The headings of a sheet's columns in the active language."""
    return [header(c.name) for c in columns]


def header_aliases(columns: Sequence[Column]) -> dict[str, str]:
    """What a header cell may say for each column, lower-cased: its code (the templates before
    the headers were translated, and the API's names) or its heading in bokmål or English."""
    from django.utils import translation

    aliases: dict[str, str] = {}
    for lang in ("nb", "en"):
        with translation.override(lang):
            for c in columns:
                aliases[header(c.name).strip().lower()] = c.name
    for c in columns:
        aliases[c.name] = c.name
    return aliases


def code_list(name: str) -> list[tuple[str, str]]:
    """(code, label) pairs of a code list, labels in the active language."""
    if name == "offer_kind":
        return [(str(v), str(label)) for v, label in OfferKind.choices]
    if name == "offer_mode":
        return [(str(v), str(label)) for v, label in OfferMode.choices]
    if name == "offer_status":
        return [(str(v), str(label)) for v, label in OfferStatus.choices]
    if name == "difficulty":
        return [(str(n), str(n)) for n in range(1, 6)]
    return choices(name)


def format_bound(value: float | None) -> str:
    """A limit as the user's language writes numbers; years without a thousands separator."""
    if value is None:
        return ""
    if 1000 <= value <= 2100 and float(value).is_integer():
        return str(int(value))
    return formats.number_format(value)


def escape_text(text: str) -> str:
    """Text a spreadsheet must show as text: a leading apostrophe before formula triggers.

    >>> escape_text("=1+1"), escape_text("-5 m"), escape_text("plain")
    ("'=1+1", "'-5 m", 'plain')
    """
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def unescape_text(text: str) -> str:
    """Undo :func:`escape_text`, so an exported or template file imports as it was.

    >>> unescape_text("'=1+1"), unescape_text("'quoted"), unescape_text("plain")
    ('=1+1', "'quoted", 'plain')
    """
    if text.startswith("'") and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text
