"""Template context: the signed-in person's role and organisation."""

from __future__ import annotations

from django.http import HttpRequest


def persona(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    profile = getattr(user, "profile", None) if user is not None and user.is_authenticated else None
    return {
        "persona_role": profile.role if profile else None,
        "persona_organisation": profile.organisation if profile else None,
    }
