"""The API's answer when its schema refuses a request: each problem of a 422 keeps pydantic's
machine-readable ``type`` and ``loc`` (and ``ctx``), and its ``msg`` names where the problem is and
says what is wrong in the caller's language (the language the request asked for, see
:mod:`battkomp.site.language`), instead of pydantic's English.

A body that is not JSON stays 400 (as declared in the schema), with a message in the caller's
language that says at which line and column the JSON broke.

Problems the API's own code found (:class:`battkomp.api.common.Refused`, e.g. an action's
ValidationError) are already in the caller's language and pass unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def _number(value: Any) -> str:
    """A bound as JSON writes it: ``1`` for 1.0, ``0.5``, ``9223372036854775807``."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)


def _max_length(ctx: dict[str, Any]) -> str:
    n = int(ctx.get("max_length", 0))
    return ngettext(
        "Enter at most %(count)d character.", "Enter at most %(count)d characters.", n
    ) % {"count": n}


def _min_length(ctx: dict[str, Any]) -> str:
    n = int(ctx.get("min_length", 0))
    return ngettext(
        "Enter at least %(count)d character.", "Enter at least %(count)d characters.", n
    ) % {"count": n}


#: What each pydantic error type the API's schemas can give means, in the caller's language.
#: A type not listed gets :func:`_unknown`'s message; ``type`` always stays pydantic's.
MESSAGES: dict[str, Callable[[dict[str, Any]], str]] = {
    "missing": lambda ctx: _("This field is required."),
    "int_type": lambda ctx: _("Enter a whole number (a JSON number, not text or true/false)."),
    "int_parsing": lambda ctx: _("Enter a whole number."),
    "int_from_float": lambda ctx: _("Enter a whole number."),
    "int_parsing_size": lambda ctx: _("The number is too large."),
    "float_type": lambda ctx: _("Enter a number (a JSON number, not text or true/false)."),
    "float_parsing": lambda ctx: _("Enter a number."),
    "finite_number": lambda ctx: _("Enter a finite number (not NaN or Infinity)."),
    "less_than_equal": lambda ctx: (
        _("Enter a number no greater than %(bound)s.") % {"bound": _number(ctx.get("le"))}
    ),
    "greater_than_equal": lambda ctx: (
        _("Enter a number no less than %(bound)s.") % {"bound": _number(ctx.get("ge"))}
    ),
    "less_than": lambda ctx: (
        _("Enter a number less than %(bound)s.") % {"bound": _number(ctx.get("lt"))}
    ),
    "greater_than": lambda ctx: (
        _("Enter a number greater than %(bound)s.") % {"bound": _number(ctx.get("gt"))}
    ),
    "string_type": lambda ctx: _("Enter text (a JSON string)."),
    "string_too_long": _max_length,
    "string_too_short": _min_length,
    "bool_type": lambda ctx: _("Enter true or false."),
    "bool_parsing": lambda ctx: _("Enter true or false."),
    "list_type": lambda ctx: _("Enter a list (a JSON array)."),
    "dict_type": lambda ctx: _("Enter an object (a JSON object)."),
    "model_type": lambda ctx: _("Enter an object (a JSON object)."),
    "model_attributes_type": lambda ctx: _("Enter an object (a JSON object)."),
    "enum": lambda ctx: _("Enter one of: %(choices)s.") % {"choices": ctx.get("expected", "")},
    "literal_error": lambda ctx: (
        _("Enter one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    ),
    "extra_forbidden": lambda ctx: _("This field is not allowed here."),
    "json_invalid": lambda ctx: _("Enter valid JSON."),
}


def _unknown(ctx: dict[str, Any]) -> str:
    return _("This value is not valid.")


def where(loc: Sequence[str | int]) -> str:
    """Where a problem is, for a person: ``Query parameter limit``, ``lines[0].share_abroad``
    (the JSON path in the body, without the name of the view's body parameter), ``The body``."""
    if not loc:
        return ""
    source, rest = loc[0], list(loc[1:])
    if source == "query" and rest:
        return _("Query parameter %(name)s") % {"name": ".".join(map(str, rest))}
    if source == "path" and rest:
        return _("Path parameter %(name)s") % {"name": ".".join(map(str, rest))}
    if source == "body":
        rest = rest[1:]  # the view's parameter (``payload``), not a part of the JSON
        if not rest:
            return _("The body")
    path = ""
    for part in rest:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _body_is_not_an_object(request: HttpRequest) -> bool:
    try:
        return bool(request.body) and not isinstance(json.loads(request.body), dict)
    except ValueError:  # not JSON at all: the parser answered 400 before any validation
        return False


def translated(request: HttpRequest, errors: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """ninja's validation errors with ``msg`` in the caller's language, naming where."""
    errors = list(errors)
    found: list[dict[str, Any]] = []
    body_refused = False
    not_an_object: bool | None = None
    for error in errors:
        loc = list(error.get("loc", ()))
        if loc[:1] == ["body"] and len(loc) > 1:
            if not_an_object is None:
                not_an_object = _body_is_not_an_object(request)
            if not_an_object:
                # pydantic would list every field as missing: one problem says what is wrong
                if not body_refused:
                    found.append(
                        {
                            "type": "model_type",
                            "loc": loc[:2],
                            "msg": _("The body must be a JSON object ({...})."),
                        }
                    )
                    body_refused = True
                continue
            if len(loc) == 2 and error.get("type") == "missing":
                found.append({**error, "msg": _("The request needs a JSON body.")})
                continue
        ctx = error.get("ctx") or {}
        problem = MESSAGES.get(str(error.get("type")), _unknown)(ctx)
        place = where(loc)
        found.append({**error, "msg": f"{place}: {problem}" if place else problem})
    return found


def json_problem(exc: BaseException | None) -> str:
    """Why a body could not be read as JSON, with the line and column where it broke."""
    if isinstance(exc, json.JSONDecodeError):
        return _("The body is not valid JSON (line %(line)d, column %(column)d).") % {
            "line": exc.lineno,
            "column": exc.colno,
        }
    return _("The body is not valid JSON (UTF-8).")
