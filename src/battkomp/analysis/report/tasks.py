"""Report rendering as background tasks: the PDF, HTML and XLSX of a snapshot are written by
the task worker (after publishing, or on the first request for a file not yet there), never in
a page request."""

from __future__ import annotations

from django.core.cache import cache
from django_tasks import task

from battkomp.analysis.models import Publication
from battkomp.analysis.report.files import FORMATS, LANGUAGES, report_bytes
from battkomp.worker.heartbeat import repeat_when_lost

#: Seconds a queued rendering is not queued again by further requests for the same file.
RENDER_CLAIM_SECONDS = 600


def _claim_key(publication_id: int, fmt: str, lang: str) -> str:
    return f"report-render:{publication_id}:{fmt}:{lang}"


@repeat_when_lost
@task(queue_name="runs")
def render_report(publication_id: int, fmt: str, lang: str) -> int:
    """Write one report file (kept on disk for good). Returns its size in bytes."""
    try:
        publication = Publication.objects.get(pk=publication_id)
        return len(report_bytes(publication, fmt, lang))
    finally:
        cache.delete(_claim_key(publication_id, fmt, lang))


def queue_report(publication: Publication, fmt: str, lang: str) -> bool:
    """Queue the rendering of one report file unless it is queued already (many visitors asking
    for a file not yet there queue it once). Returns whether it was queued now."""
    if not cache.add(_claim_key(publication.pk, fmt, lang), 1, timeout=RENDER_CLAIM_SECONDS):
        return False
    render_report.enqueue(publication.pk, fmt, lang)
    return True


def queue_all_reports(publication: Publication) -> None:
    """Queue every format in every language (after a snapshot is published)."""
    for lang in LANGUAGES:
        for fmt in FORMATS:
            queue_report(publication, fmt, lang)
