"""The API of published snapshots (a django-ninja router, added to the platform's API in
``battkomp.api.api``).

Public: anyone may read the published snapshots and their protected tables, through
``analysis.access`` as the /published/ pages do; an unknown version or table is 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext_noop
from ninja import Field, Router, Schema

from battkomp.analysis.access import access_publication, publications_for_anyone
from battkomp.analysis.models import Publication
from battkomp.analysis.publishing.tables import TABLES
from battkomp.api.common import code_name
from battkomp.api.schemas import Message
from battkomp.workbooks.exporters import name_plan


class PublicationOut(Schema):
    version: int
    title: str = Field(
        description=gettext_noop(
            "The title in the caller's language, or in the other language when it has none "
            "(then `title_lang` says which)."
        )
    )
    title_lang: str = Field(description=gettext_noop("The language of `title`: nb or en."))
    title_nb: str
    title_en: str
    note_nb: str
    note_en: str
    published_at: dt.datetime
    input_hash: str = Field(description=gettext_noop("The input hash of the published model run."))
    seed: int | None
    draws: int | None
    scenario: str = Field(description=gettext_noop("The scenario's code."))
    scenario_title: str = Field(
        description=gettext_noop(
            "The scenario's title in the caller's language (the other language's, or the code, "
            "when it has none; all scenarios weighted: says so)."
        )
    )
    round: str = Field(description=gettext_noop("The survey round's name, or empty."))


class PublicationDetailOut(PublicationOut):
    tables: list[str] = Field(description=gettext_noop("The names of the snapshot's tables."))


class PublicationTableOut(Schema):
    version: int
    name: str
    columns: list[str]
    rows: list[dict[str, str | int | float | bool | None]] = Field(
        description=gettext_noop(
            "One object per row, keyed by column. A suppressed row keeps its key columns, its "
            "numbers are null and its `suppressed` is true. Beside each column of codes "
            "(`level`, `area`, `metric`, ...) a column of their names (`level_name`, ...) in "
            "the caller's language (the Accept-Language header or the language cookie; bokmål "
            "otherwise)."
        )
    )


router = Router(tags=["publications"])

#: Columns of a stored table that never leave the analysis (none is stored today; dropped in case).
_INTERNAL = ("suppression",)


def publication_out(publication: Publication) -> dict[str, Any]:
    meta = publication.meta or {}
    title = publication.title
    return {
        "version": publication.version,
        "title": str(title),
        "title_lang": title.lang,
        "title_nb": publication.title_nb,
        "title_en": publication.title_en,
        "note_nb": publication.note_nb,
        "note_en": publication.note_en,
        "published_at": publication.published_at,
        "input_hash": str(meta.get("input_hash") or ""),
        "seed": meta.get("seed"),
        "draws": meta.get("draws"),
        "scenario": str(meta.get("scenario") or ""),
        "scenario_title": str(publication.scenario_label),
        "round": str(meta.get("round") or ""),
    }


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _ordered_tables(publication: Publication) -> list[str]:
    names = publication.table_names()
    return [n for n in TABLES if n in names] + [n for n in names if n not in TABLES]


@router.get(
    "",
    auth=None,
    response=list[PublicationOut],
    summary=gettext_noop("List published snapshots"),
    description=gettext_noop(
        "Public: anyone may read published snapshots, newest first. They hold only protected "
        "tables."
    ),
)
def list_publications(request: HttpRequest) -> Any:
    return [publication_out(p) for p in publications_for_anyone()]


@router.get(
    "/{version}",
    auth=None,
    response={200: PublicationDetailOut, 404: Message},
    summary=gettext_noop("One published snapshot"),
    description=gettext_noop("Public. With the names of its tables; 404 if there is none."),
)
def get_publication(request: HttpRequest, version: int) -> Any:
    publication = access_publication(version)
    return {**publication_out(publication), "tables": _ordered_tables(publication)}


@router.get(
    "/{version}/tables/{name}",
    auth=None,
    response={200: PublicationTableOut, 404: Message},
    summary=gettext_noop("One protected table of a published snapshot"),
    description=gettext_noop(
        "Public. The rows of one protected table, as the downloads give them: a suppressed row "
        "keeps its key columns, its numbers are null and its `suppressed` is true; `quality` "
        "is the share of noise in the row's numbers (G below 2 %, H 2 to 5 %, J 5 % or more). "
        "404 for an unknown version or table."
    ),
)
def get_publication_table(request: HttpRequest, version: int, name: str) -> Any:
    publication = access_publication(version)
    try:
        table = publication.table(name)
    except KeyError:
        raise Http404 from None
    # as the downloads give it: a suppressed row keeps its keys (year, segment, metric, measure,
    # ...) and every column that is not confidential; its confidential numbers are stored null
    table = table.drop([c for c in _INTERNAL if c in table.columns])
    # beside each column of codes, their names in the caller's language (as the downloads)
    plan = name_plan(table.columns)
    columns = [table.columns[j] if kind is None else f"{table.columns[j]}_name" for j, kind in plan]
    rows = [
        {
            column: row[j] if kind is None else code_name(kind, _text(row[j]))
            for column, (j, kind) in zip(columns, plan, strict=True)
        }
        for row in table.iter_rows()
    ]
    return {"version": publication.version, "name": name, "columns": columns, "rows": rows}
