"""Validators shared by models and forms."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from battkomp.core.codes import codes
from battkomp.engine.bundle import org_number_ok

__all__ = ["org_number_ok", "validate_org_number"]


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
