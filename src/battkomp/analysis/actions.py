"""State changes of the analysis app. A bundle download writes the access log, so it is here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from battkomp.accounts.access import log_access, require_analyst
from battkomp.analysis.bundle import collect_bundle, log_bundle_access, write_xlsx, write_zip
from battkomp.survey.models import Round

FORMATS = {
    "zip": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class BundleFile:
    filename: str
    content_type: str
    content: bytes
    organisations: int


@dataclass(frozen=True)
class Bundle:
    """What the access log names when a bundle is built without a survey round."""

    pk: str = ""


@transaction.atomic
def do_export_bundle(user: Any, *, round: Round | None, fmt: str = "zip") -> BundleFile:
    """Build the engine input bundle for an analyst and log the read of every company's answers.

    Raises Http404 for anyone but analysts and administrators, ValueError for an unknown format.
    """
    require_analyst(user)
    if fmt not in FORMATS:
        msg = f"unknown format {fmt!r} (known: {', '.join(FORMATS)})"
        raise ValueError(msg)
    contents = collect_bundle(round)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    which = f"round{contents.round.pk}-" if contents.round else ""
    base = f"battkomp-bundle-{which}{stamp}"
    content = write_zip(contents, base) if fmt == "zip" else write_xlsx(contents)
    log_bundle_access(user, contents, f"download {fmt}")
    log_access(
        user,
        "download_bundle",
        contents.round or Bundle(),
        None,
        f"{fmt}; answers of {len(contents.respondents)} organisations",
    )
    return BundleFile(f"{base}.{fmt}", FORMATS[fmt], content, len(contents.respondents))
