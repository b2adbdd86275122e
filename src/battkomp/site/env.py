"""Strict parsing of the settings' environment variables.

Every helper reads one variable and either returns a value of the right type or raises
:class:`~django.core.exceptions.ImproperlyConfigured` naming the variable and what it accepts, so
a typo such as ``BATTKOMP_EMAIL_USE_TLS=ture`` stops the site at start-up instead of silently
meaning "off".
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def _raw(name: str, env: Mapping[str, str] | None) -> str | None:
    value = (os.environ if env is None else env).get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_bool(name: str, default: bool, env: Mapping[str, str] | None = None) -> bool:
    """``1``/``true``/``yes``/``on`` or ``0``/``false``/``no``/``off`` (any case); unset or empty
    gives ``default``; anything else is an error."""
    value = _raw(name, env)
    if value is None:
        return default
    word = value.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    msg = (
        f"{name}={value!r} is not a yes/no value: use one of 1, true, yes, on or 0, false, no, off"
    )
    raise ImproperlyConfigured(msg)


def env_int(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """A whole number within ``minimum``..``maximum``; unset or empty gives ``default``."""
    value = _raw(name, env)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        msg = f"{name}={value!r} is not a whole number"
        raise ImproperlyConfigured(msg) from None
    if minimum is not None and number < minimum:
        msg = f"{name}={number} is below the smallest allowed value, {minimum}"
        raise ImproperlyConfigured(msg)
    if maximum is not None and number > maximum:
        msg = f"{name}={number} is above the largest allowed value, {maximum}"
        raise ImproperlyConfigured(msg)
    return number


def env_float(
    name: str, default: float, *, minimum: float = 0.0, env: Mapping[str, str] | None = None
) -> float:
    """A number of at least ``minimum``; unset or empty gives ``default``."""
    value = _raw(name, env)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        msg = f"{name}={value!r} is not a number"
        raise ImproperlyConfigured(msg) from None
    if not number >= minimum:  # also refuses nan
        msg = f"{name}={value!r} is below the smallest allowed value, {minimum}"
        raise ImproperlyConfigured(msg)
    return number


def env_choice(
    name: str, default: str, choices: tuple[str, ...], env: Mapping[str, str] | None = None
) -> str:
    """One of ``choices`` (exactly); unset or empty gives ``default``."""
    value = _raw(name, env)
    if value is None:
        return default
    if value not in choices:
        msg = f"{name}={value!r} is not one of {', '.join(choices)}"
        raise ImproperlyConfigured(msg)
    return value


def env_str(name: str, default: str, env: Mapping[str, str] | None = None) -> str:
    value = (os.environ if env is None else env).get(name)
    return default if value is None else value


def env_list(name: str, default: str = "", env: Mapping[str, str] | None = None) -> list[str]:
    """A comma-separated list; blanks between commas are dropped."""
    value = (os.environ if env is None else env).get(name, default)
    return [part.strip() for part in value.split(",") if part.strip()]
