"""Excel and CSV round-trip pages: templates, uploads and exports.

Needs belong to a participant and are read through :func:`access_participant_for_user` (the
organisation's respondents and analysts; anyone else gets 404, analysts' reads are logged).
Offers are changed through :func:`access_institution_for_user` (the institution's editors and
analysts) and are public to read. A round's export is for analysts only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from battkomp.accounts.actions import log_access
from battkomp.core.users import is_analyst
from battkomp.offers.access import access_institution_for_user, own_institution
from battkomp.offers.actions import INSTITUTION_KINDS
from battkomp.offers.models import Offer
from battkomp.organisations.models import Organisation
from battkomp.survey.access import access_participant_for_user, access_round_for_user
from battkomp.survey.models import Participant, RoundStatus
from battkomp.workbooks import exporters, workbook
from battkomp.workbooks.columns import NEEDS_COLUMNS, NEEDS_SHEET, OFFERS_COLUMNS, OFFERS_SHEET
from battkomp.workbooks.forms import UploadForm
from battkomp.workbooks.importers import ImportRefused, import_needs, import_offers
from battkomp.workbooks.reading import max_upload_bytes, too_large


def _download(content: bytes, filename: str, fmt: str, *, private: bool) -> HttpResponse:
    content_type = exporters.XLSX_CONTENT_TYPE if fmt == "xlsx" else exporters.CSV_CONTENT_TYPE
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    if private:
        add_never_cache_headers(response)
    return response


def _format(request: HttpRequest) -> str | None:
    fmt = request.GET.get("format", "xlsx").strip().lower()
    return fmt if fmt in exporters.FORMATS else None


def _bad_format() -> HttpResponse:
    return HttpResponseBadRequest(
        _("Unknown format: choose format=xlsx or format=csv.").encode(),
        content_type="text/plain; charset=utf-8",
    )


class UploadLimit(FileUploadHandler):
    """Stops receiving an uploaded file once it passes the size limit, so a huge upload is
    neither kept in memory nor written to disk (the rest of it is skipped); the view then
    refuses it. The importer checks the size again."""

    def __init__(self, request: HttpRequest) -> None:
        super().__init__(request)
        self.limit = max_upload_bytes()
        self.received = 0
        self.exceeded = False

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def limit_upload(request: HttpRequest) -> UploadLimit:
    """Put the size limit in front of the upload handlers; this must happen before anything
    reads the request body, so the upload views are csrf_exempt outside and csrf_protect
    inside (Django's documented way to change upload handlers)."""
    handler = UploadLimit(request)
    request.upload_handlers.insert(0, handler)
    return handler


def _name(*parts: str) -> str:
    return "-".join(s for s in (slugify(p) for p in parts) if s) or "battkomp"


def _participant_name(participant: Participant) -> str:
    return _name(participant.organisation.name, participant.round.name)


# --------------------------------------------------------------------------- needs


@login_required
@require_GET
def needs_template(request: HttpRequest, participant_id: int) -> HttpResponse:
    participant = access_participant_for_user(request.user, participant_id)
    log_access(
        request.user,
        "needs_template",
        participant,
        participant.organisation,
        detail=participant.round.name,
    )
    content = workbook.needs_template(participant)
    filename = f"needs-template-{_participant_name(participant)}.xlsx"
    return _download(content, filename, "xlsx", private=True)


@login_required
@require_GET
def needs_export(request: HttpRequest, participant_id: int) -> HttpResponse:
    participant = access_participant_for_user(request.user, participant_id)
    fmt = _format(request)
    if fmt is None:
        return _bad_format()
    log_access(
        request.user,
        "needs_export",
        participant,
        participant.organisation,
        detail=participant.round.name,
    )
    header, rows = exporters.needs_table(participant)
    content = exporters.render(fmt, header, rows, NEEDS_SHEET)
    return _download(content, f"needs-{_participant_name(participant)}.{fmt}", fmt, private=True)


def _needs_page(
    request: HttpRequest, participant: Participant, status: int = 200, **context: Any
) -> HttpResponse:
    context.setdefault("form", UploadForm())
    return render(
        request,
        "workbooks/needs_upload.html",
        {
            "participant": participant,
            "round": participant.round,
            "is_open": participant.round.status == RoundStatus.OPEN,
            "is_analyst": is_analyst(request.user),
            "columns": NEEDS_COLUMNS,
            "max_bytes": max_upload_bytes(),
            **context,
        },
        status=status,
    )


@csrf_exempt
@login_required
@require_http_methods(["GET", "POST"])
def needs_upload(request: HttpRequest, participant_id: int) -> HttpResponse:
    participant = access_participant_for_user(request.user, participant_id)
    return _needs_upload(request, participant, limit_upload(request))


@csrf_protect
def _needs_upload(
    request: HttpRequest, participant: Participant, limit: UploadLimit
) -> HttpResponse:
    if request.method != "POST":
        return _needs_page(request, participant)
    if participant.round.status != RoundStatus.OPEN:
        messages.error(request, _("The round is not open: answers can no longer be changed."))
        return redirect("workbooks:needs_upload", participant.pk)
    form = UploadForm(request.POST, request.FILES)
    if limit.exceeded:
        return _needs_page(request, participant, 400, problems=too_large().problems)
    if not form.is_valid():
        return _needs_page(request, participant, 400, form=form)
    try:
        result = import_needs(participant, request.user, form.cleaned_data["file"])
    except ImportRefused as refused:
        return _needs_page(request, participant, 400, problems=refused.problems)
    # The result shows the stored lines it replaced: an analyst's read of the answers.
    log_access(
        request.user,
        "needs_import",
        participant,
        participant.organisation,
        detail=participant.round.name,
    )
    return _needs_page(request, participant, result=result)


# --------------------------------------------------------------------------- offers


def _institution(request: HttpRequest, institution_id: int | None) -> Organisation | None:
    """The institution whose offers are managed; None sends an analyst to choose one."""
    if institution_id is not None:
        return access_institution_for_user(request.user, institution_id)
    own = own_institution(request.user)
    if own is not None:
        return own
    if is_analyst(request.user):
        return None
    raise Http404


@login_required
@require_GET
def offers_template(request: HttpRequest, institution_id: int | None = None) -> HttpResponse:
    institution = _institution(request, institution_id)
    if institution is None:
        return redirect("offers:mine")
    content = workbook.offers_template(institution)
    filename = f"offers-template-{_name(institution.name)}.xlsx"
    return _download(content, filename, "xlsx", private=True)


def _offers_page(
    request: HttpRequest, institution: Organisation, status: int = 200, **context: Any
) -> HttpResponse:
    context.setdefault("form", UploadForm())
    own = own_institution(request.user)
    is_own = own is not None and own.pk == institution.pk
    return render(
        request,
        "workbooks/offers_upload.html",
        {
            "institution": institution,
            "institution_id": None if is_own else institution.pk,
            "columns": OFFERS_COLUMNS,
            "max_bytes": max_upload_bytes(),
            **context,
        },
        status=status,
    )


@csrf_exempt
@login_required
@require_http_methods(["GET", "POST"])
def offers_upload(request: HttpRequest, institution_id: int | None = None) -> HttpResponse:
    institution = _institution(request, institution_id)
    if institution is None:
        return redirect("offers:mine")
    return _offers_upload(request, institution, limit_upload(request))


@csrf_protect
def _offers_upload(
    request: HttpRequest, institution: Organisation, limit: UploadLimit
) -> HttpResponse:
    if request.method != "POST":
        return _offers_page(request, institution)
    form = UploadForm(request.POST, request.FILES)
    if limit.exceeded:
        return _offers_page(request, institution, 400, problems=too_large().problems)
    if not form.is_valid():
        return _offers_page(request, institution, 400, form=form)
    try:
        result = import_offers(institution, request.user, form.cleaned_data["file"])
    except ImportRefused as refused:
        return _offers_page(request, institution, 400, problems=refused.problems)
    return _offers_page(request, institution, result=result)


@require_GET
def offers_export(request: HttpRequest, institution_id: int | None = None) -> HttpResponse:
    """Offers are public: anyone may export all of them, or one institution's."""
    fmt = _format(request)
    if fmt is None:
        return _bad_format()
    offers = Offer.objects.select_related("institution").prefetch_related("areas")
    if institution_id is None:
        header, rows = exporters.offers_table(
            offers.order_by("institution__name", "code"), with_institution=True
        )
        filename = f"offers.{fmt}"
    else:
        institution = get_object_or_404(Organisation, pk=institution_id, kind__in=INSTITUTION_KINDS)
        header, rows = exporters.offers_table(
            offers.filter(institution=institution).order_by("code"), with_institution=False
        )
        filename = f"offers-{_name(institution.name)}.{fmt}"
    content = exporters.render(fmt, header, rows, OFFERS_SHEET)
    return _download(content, filename, fmt, private=False)


# --------------------------------------------------------------------------- rounds


@login_required
@require_GET
def round_export(request: HttpRequest, round_id: int) -> HttpResponse:
    """Every submitted answer of a round (analysts only; each organisation's read is logged)."""
    round_ = access_round_for_user(request.user, round_id)
    fmt = _format(request)
    if fmt is None:
        return _bad_format()
    participants = exporters.submitted_participants(round_)
    header, rows = exporters.round_table(participants)
    for participant in participants:
        log_access(
            request.user, "round_export", participant, participant.organisation, detail=round_.name
        )
    content = exporters.table_file(fmt, header, rows, NEEDS_SHEET)
    return _download(content, f"round-{_name(round_.name)}.{fmt}", fmt, private=True)
