"""Validators shared by models and forms."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from battkomp.core.codes import codes


def code_validator(kind: str) -> Callable[[str], None]:
    """A validator accepting the codes of one kind (see :func:`battkomp.core.codes.codes`)."""

    def validate(value: str) -> None:
        if value not in codes(kind):
            raise ValidationError(
                _("“%(value)s” is not a known code."), params={"value": value}, code="unknown_code"
            )

    validate.__name__ = f"validate_{kind}"
    validate.__qualname__ = f"validate_{kind}"
    return validate


def org_number_ok(number: str) -> bool:
    """Norwegian organisation number: 9 digits, mod-11 check digit, weights 3 2 7 6 5 4 3 2."""
    digits = number.replace(" ", "")
    if len(digits) != 9 or not digits.isdigit():
        return False
    rest = sum(int(d) * w for d, w in zip(digits[:8], (3, 2, 7, 6, 5, 4, 3, 2), strict=True)) % 11
    check = 0 if rest == 0 else 11 - rest
    return check != 10 and check == int(digits[8])


def validate_org_number(value: str) -> None:
    if value and not org_number_ok(value):
        raise ValidationError(
            _("%(value)s is not a valid organisation number (9 digits with a mod-11 check digit)."),
            params={"value": value},
            code="org_number",
        )


# Django's migration serializer needs importable names for validators.
validate_segment = code_validator("segment")
validate_region = code_validator("region")
validate_county = code_validator("county")
validate_role = code_validator("role")
validate_level = code_validator("level")
validate_level_or_evu = code_validator("level_or_evu")
validate_area = code_validator("area")
