"""Education offers: institutions register them; everyone can read them and see the grid."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from battkomp.core.codes import codes, label
from battkomp.core.stale import posted_version
from battkomp.core.users import is_analyst
from battkomp.offers.access import (
    access_institution_for_user,
    access_offer_for_user,
    can_edit_offers_of,
    own_institution,
)
from battkomp.offers.actions import (
    INSTITUTION_KINDS,
    StaleOffer,
    do_delete_offer,
    do_save_offer,
)
from battkomp.offers.forms import GridFilterForm, OfferForm, area_formset
from battkomp.offers.grid import (
    AREA_STATUS_HELP,
    AREA_STATUS_LABELS,
    AREA_STATUSES,
    build_grid,
    filtered_offers,
    grid_levels,
)
from battkomp.offers.models import Offer, OfferStatus
from battkomp.organisations.models import Organisation

# --------------------------------------------------------------------------- managing offers


def _institution_page(request: HttpRequest, institution: Organisation) -> HttpResponse:
    offers = (
        Offer.objects.filter(institution=institution)
        .annotate(area_count=Count("areas"))
        .order_by("name_nb", "name_en")
    )
    totals = offers.aggregate(places=Sum("study_places"), candidates=Sum("candidates"))
    own = own_institution(request.user)
    new_url = (
        reverse("offers:new")
        if own is not None and own.pk == institution.pk
        else reverse("offers:institution_new", args=[institution.pk])
    )
    rows = [
        {
            "offer": o,
            "level_label": label("level_or_evu", o.level),
            "region_label": label("region", o.region),
        }
        for o in offers
    ]
    return render(
        request,
        "offers/institution.html",
        {
            "institution": institution,
            "rows": rows,
            "new_url": new_url,
            "total_places": totals["places"] or 0,
            "total_candidates": totals["candidates"] or 0,
        },
    )


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """An editor's own offers; for the secretariat, the institutions to choose from."""
    institution = own_institution(request.user)
    if institution is not None:
        return _institution_page(request, institution)
    if not is_analyst(request.user):
        raise Http404
    institutions = (
        Organisation.objects.filter(kind__in=INSTITUTION_KINDS)
        .annotate(offer_count=Count("offers"))
        .order_by("name")
    )
    return render(request, "offers/institutions.html", {"institutions": institutions})


@login_required
def institution(request: HttpRequest, org_id: int) -> HttpResponse:
    return _institution_page(request, access_institution_for_user(request.user, org_id))


def _apply_action_errors(exc: ValidationError, form: OfferForm) -> list[str]:
    """Put an action's errors on the form's fields; return those about the competence areas."""
    area_errors: list[str] = []
    error_dict = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    for field, msgs in error_dict.items():
        if field == "areas":
            area_errors.extend(msgs)
        elif field in form.fields:
            for message in msgs:
                form.add_error(field, message)
        else:
            for message in msgs:
                form.add_error(None, message)
    return area_errors


def _offer_form_page(
    request: HttpRequest, institution: Organisation, offer: Offer | None = None
) -> HttpResponse:
    area_errors: list[str] = []
    # The version the form was filled from: a save based on an older one is refused.
    based_on = offer.version if offer is not None else None
    stale: StaleOffer | None = None
    if request.method == "POST":
        form = OfferForm(request.POST)
        formset = area_formset(request.POST)
        based_on = posted_version(request.POST) if offer is not None else None
        form_ok = form.is_valid()
        formset_ok = formset.is_valid()
        if form_ok and formset_ok:
            try:
                saved = do_save_offer(
                    institution,
                    request.user,
                    form.cleaned_data,
                    formset.pairs(),
                    offer=offer,
                    based_on=based_on,
                )
            except StaleOffer as exc:
                # Nothing was written; the form keeps what this person typed, shows where the
                # stored offer differs, and is based on the stored version now, so saving
                # again replaces it deliberately.
                stale = exc
                based_on = exc.current
            except ValidationError as exc:
                area_errors = _apply_action_errors(exc, form)
            else:
                if offer is None:
                    messages.success(
                        request, _("The offer “%(name)s” is registered.") % {"name": saved.name}
                    )
                else:
                    messages.success(
                        request, _("The offer “%(name)s” is saved.") % {"name": saved.name}
                    )
                return redirect("offers:detail", offer_id=saved.pk)
    else:
        form = OfferForm(initial=OfferForm.initial_for(offer) if offer else None)
        formset = area_formset(offer=offer)
    if offer is not None:
        cancel_url = reverse("offers:detail", args=[offer.pk])
    else:
        own = own_institution(request.user)
        cancel_url = (
            reverse("offers:mine")
            if own is not None and own.pk == institution.pk
            else reverse("offers:institution", args=[institution.pk])
        )
    has_errors = bool(form.errors or formset.total_error_count() or area_errors)
    return render(
        request,
        "offers/form.html",
        {
            "institution": institution,
            "offer": offer,
            "form": form,
            "formset": formset,
            "area_errors": area_errors,
            "has_errors": has_errors,
            "cancel_url": cancel_url,
            "based_on": based_on,
            "stale": stale,
            "stale_title": _("Someone else changed this offer"),
        },
        status=409 if stale else 400 if has_errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    institution = own_institution(request.user)
    if institution is None:
        if is_analyst(request.user):
            # The secretariat first chooses the institution.
            return redirect("offers:mine")
        raise Http404
    return _offer_form_page(request, institution)


@login_required
@require_http_methods(["GET", "POST"])
def institution_new(request: HttpRequest, org_id: int) -> HttpResponse:
    return _offer_form_page(request, access_institution_for_user(request.user, org_id))


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = access_offer_for_user(request.user, offer_id, edit=True)
    return _offer_form_page(request, offer.institution, offer)


@login_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = access_offer_for_user(request.user, offer_id, edit=True)
    if request.method == "POST":
        institution, name = offer.institution, offer.name
        do_delete_offer(offer, request.user)
        messages.success(request, _("The offer “%(name)s” is deleted.") % {"name": name})
        own = own_institution(request.user)
        if own is not None and own.pk == institution.pk:
            return redirect("offers:mine")
        return redirect("offers:institution", org_id=institution.pk)
    return render(request, "offers/confirm_delete.html", {"offer": offer})


# --------------------------------------------------------------------------- public pages


def detail(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = access_offer_for_user(request.user, offer_id, edit=False)
    areas = [
        {
            "area": a.area,
            "label": label("area", a.area),
            "weight": a.weight,
            "percent": a.weight * 100,
        }
        for a in offer.areas.all()
    ]
    return render(
        request,
        "offers/detail.html",
        {
            "offer": offer,
            "areas": areas,
            "level_label": label("level_or_evu", offer.level),
            "target_level_label": label("level", offer.target_level),
            "region_label": label("region", offer.region),
            "can_edit": can_edit_offers_of(request.user, offer.institution),
            "completion_percent": _percent(offer.completion_rate),
            "capture_percent": _percent(offer.capture_share),
        },
    )


def _percent(share: float | None) -> float | None:
    return None if share is None else share * 100


def _grid_filters(request: HttpRequest) -> tuple[GridFilterForm, dict[str, str], str]:
    form = GridFilterForm(
        request.GET if ("region" in request.GET or "status" in request.GET) else None
    )
    filters = form.filters()
    query = urlencode({k: v for k, v in filters.items() if v})
    return form, filters, query


def grid(request: HttpRequest) -> HttpResponse:
    form, filters, query = _grid_filters(request)
    the_grid = build_grid(filtered_offers(**filters))
    cell_url = reverse("offers:grid_cell")
    for row in the_grid.rows:
        for cell in row.cells:
            params = {
                "area": cell.area,
                "level": cell.level,
                **{k: v for k, v in filters.items() if v},
            }
            cell.url = f"{cell_url}?{urlencode(params)}"  # type: ignore[attr-defined]
    return render(
        request,
        "offers/grid.html",
        {
            "grid": the_grid,
            "filter_form": form,
            "filters": filters,
            "region_label": label("region", filters["region"]),
            "status_label": _status_label(filters["status"]),
            "legend": [(s, AREA_STATUS_LABELS[s], AREA_STATUS_HELP[s]) for s in AREA_STATUSES],
            "column_count": len(the_grid.levels) + 3,
            "query": query,
        },
    )


def _status_label(status: str) -> str:
    return str(OfferStatus(status).label) if status else ""


def grid_cell(request: HttpRequest) -> HttpResponse:
    area, level = request.GET.get("area", ""), request.GET.get("level", "")
    if area not in codes("area") or level not in grid_levels():
        raise Http404
    _form, filters, query = _grid_filters(request)
    the_grid = build_grid(filtered_offers(**filters))
    row = the_grid.row(area)
    cell = the_grid.cell(area, level)
    return render(
        request,
        "offers/grid_cell.html",
        {
            "row": row,
            "cell": cell,
            "area_label": label("area", area),
            "level_label": label("level_or_evu", level),
            "filters": filters,
            "region_label": label("region", filters["region"]),
            "status_label": _status_label(filters["status"]),
            "back_url": reverse("offers:grid") + (f"?{query}" if query else ""),
        },
    )
