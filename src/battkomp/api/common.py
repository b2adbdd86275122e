"""What the API's routers share: the documented access and validation answers, paging,
references to other objects, and the conversion of an action's ValidationError to 422.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from ninja.errors import ValidationError as NinjaValidationError

from battkomp.api.schemas import Message, PageQuery, ValidationErrorOut
from battkomp.core.codes import label

#: Documented on every operation that needs an account.
DENIED = {401: Message, 404: Message}
INVALID = {422: ValidationErrorOut}


class Refused(NinjaValidationError):  # noqa: N818 (an answer, like Forbidden)
    """422 with problems the API's own code found (an action's ValidationError, a rule of the
    view), whose messages are already in the caller's language: the 422 handler passes them
    unchanged, where it translates pydantic's (see :mod:`battkomp.api.errors`)."""


class Forbidden(Exception):  # noqa: N818 (an answer, not a programming error)
    """The caller may see the object but not change it: 403 with this message."""


def problems(exc: DjangoValidationError, where: tuple[str, ...]) -> list[dict[str, Any]]:
    """A Django ValidationError as 422 details: ``loc`` names the field when the action keyed
    its messages by field, otherwise ``where``."""
    found: list[dict[str, Any]] = []
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            loc = [*where[:1], field] if field != "__all__" else list(where[:1])
            found.extend({"loc": loc, "msg": str(m), "type": "value_error"} for m in messages)
    else:
        found.extend(
            {"loc": list(where), "msg": str(m), "type": "value_error"} for m in exc.messages
        )
    return found


def invalid(exc: DjangoValidationError, *where: str) -> Refused:
    return Refused(problems(exc, where or ("body",)))


def paged(
    items: QuerySet[Any] | list[Any], page: PageQuery, serialise: Callable[[Any], Any]
) -> dict[str, Any]:
    count = items.count() if isinstance(items, QuerySet) else len(items)
    window = items[page.offset : page.offset + page.limit]
    return {
        "count": count,
        "limit": page.limit,
        "offset": page.offset,
        "items": [serialise(item) for item in window],
    }


def code_name(kind: str, code: str | None) -> str:
    """The name of a code beside it in an answer (``level`` and ``level_name``), in the caller's
    language (the request's: ``Accept-Language`` or the language cookie, bokmål otherwise), from
    the terminology source (:func:`battkomp.core.codes.label`); empty for no code."""
    return label(kind, code) if code else ""


def choice_name(choices: Iterable[tuple[str, Any]], code: str | None) -> str:
    """The name of a model field's choice (an offer's kind or mode, an infrastructure's kind) in
    the caller's language; the code itself if it is not one of them, empty for no code."""
    return str(dict(choices).get(code, code)) if code else ""


def ref(obj: Any) -> dict[str, Any] | None:
    """An object as ``{"id", "name"}`` (a :class:`battkomp.api.schemas.Ref`); None for none."""
    return {"id": obj.pk, "name": obj.name} if obj is not None else None
