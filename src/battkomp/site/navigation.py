"""The header's menu (template context): which links a visitor sees, in which group, and which
one is the current page.

The header is one row: the brand, the main links, a "More" menu for the rest and the language
switch. The current page is the link whose address is the longest prefix of the request's path
(so /offers/mine/ marks "Our offers", not "Education offer"); it gets ``aria-current="page"``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext


@dataclass(frozen=True)
class Link:
    url: str
    label: str
    current: bool = False


def _role(request: HttpRequest) -> str | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    profile = getattr(user, "profile", None)
    return getattr(profile, "role", None)


def _links(request: HttpRequest) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(main, more): lists of (url name, label), for the visitor's role."""
    public = [
        ("offers:grid", gettext("Education offer")),
        ("pathways:index", gettext("From … to battery")),
        ("measures:catalogue", gettext("Measures")),
        ("infrastructure:list", gettext("Infrastructure")),
        ("published:list", gettext("Published results")),
        ("contact:contact", gettext("Contact us")),
    ]
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return public, []  # "Log in" stands apart, at the end of the menu
    role = _role(request)
    own: list[tuple[str, str]] = []
    if role == "respondent":
        own = [
            ("survey:my_rounds", gettext("Our needs")),
            ("analysis:company_view", gettext("Our gaps")),
        ]
    elif role == "editor":
        own = [
            ("offers:mine", gettext("Our offers")),
            ("analysis:institution_view", gettext("Gaps we can close")),
        ]
    elif role in ("analyst", "admin"):
        own = [
            ("organisations:organisations", gettext("Organisations")),
            ("survey:rounds", gettext("Survey rounds")),
            ("analysis:home", gettext("Model")),
            ("contact:queue", gettext("Inquiries")),
        ]
    elif role == "handler":
        own = [("contact:queue", gettext("Inquiries"))]
    # A signed-in person's own pages come first, then the published results; the other public
    # pages and the account settings go under "More".
    main = [*own, public[4]]
    more = [public[0], public[1], public[2], public[3], public[5]]
    more.append(("accounts:settings", gettext("Account")))
    return main, more


def navigation(request: HttpRequest) -> dict[str, object]:
    main, more = _links(request)
    resolved = [(reverse(name), label) for name, label in main + more]
    path = request.path
    matches = [url for url, _ in resolved if path.startswith(url)]
    login = reverse("accounts:login")
    current = max(matches, key=len) if matches else None

    def links(part: list[tuple[str, str]], offset: int) -> list[Link]:
        return [
            Link(url, label, url == current) for url, label in resolved[offset : offset + len(part)]
        ]

    more_links = links(more, len(main))
    return {
        "nav_main": links(main, 0),
        "nav_more": more_links,
        "nav_more_current": any(link.current for link in more_links),
        "nav_login": Link(login, gettext("Log in"), path.startswith(login)),
    }
