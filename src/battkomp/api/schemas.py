"""The request and response bodies shared by the API's routers (pydantic, via django-ninja):
paging, messages, references and validation errors. A body used by one router lives with it (in
the app's ``api.py``).

Codes (segments, regions, roles, levels, areas, statuses) are the codes of the engine's taxonomy
(see ``battkomp.core.codes``); the actions check them, so a wrong code gives 422 naming the field.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.utils.translation import gettext_noop
from ninja import Field, Schema
from pydantic import AllowInfNan, Strict

MAX_PAGE = 500

#: The largest id the database can hold (ids are 64-bit); an id filter beyond it is 422 naming
#: the parameter, not a database error.
MAX_ID = 2**63 - 1

#: Numbers in a request body: pydantic's lax mode would take JSON ``true``/``false`` as 1/0 (and
#: ``"12"`` as 12); strict, only a JSON number is a number (a float field takes an integer too).
#: ``NaN`` and ``Infinity`` (which Python's JSON reader takes, as it takes ``1e400`` as infinity)
#: are refused as not finite, rather than as "less than or equal to 1" by a bound.
Int = Annotated[int, Strict()]
Number = Annotated[float, Strict(), AllowInfNan(False)]


def id_filter(description: str) -> Any:
    """A query parameter that filters a list by an object's id: 1 to :data:`MAX_ID`."""
    return Field(None, ge=1, le=MAX_ID, description=description)


#: The description of every ``<code>_name`` field (and ``<code>_names`` list) of an answer.
NAME_OF_CODE = gettext_noop(
    "The name of the code beside it, in the caller's language (the Accept-Language header or the "
    "language cookie; bokmål otherwise), as the pages name it. The code stays for machines."
)


def name_field() -> Any:
    """A ``<code>_name`` field: the name of the code field beside it (:data:`NAME_OF_CODE`)."""
    return Field(description=NAME_OF_CODE)


class PageQuery(Schema):
    limit: int = Field(
        100, ge=1, le=MAX_PAGE, description=gettext_noop("How many items to return.")
    )
    offset: int = Field(
        0, ge=0, le=1_000_000_000, description=gettext_noop("How many items to skip.")
    )


class Message(Schema):
    detail: str


class Ref(Schema):
    """Another object, by id and name."""

    id: int
    name: str


class ValidationProblem(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(Schema):
    detail: list[ValidationProblem]


class ConflictOut(Schema):
    """409: the change was refused because the object was changed since the version the caller
    named in ``based_on``; nothing was written."""

    detail: str
    version: int = Field(
        description=gettext_noop(
            "The stored version: read the object again, or send it as `based_on` to replace it "
            "deliberately."
        )
    )
    changes: list[str] = Field(
        default_factory=list,
        description=gettext_noop("Where the stored object differs from what you sent."),
    )


def conflict_out(stale: Any) -> dict[str, Any]:
    """The 409 body of a :class:`battkomp.core.stale.StaleEdit`."""
    return {"detail": stale.message(), "version": stale.current, "changes": stale.changes}
