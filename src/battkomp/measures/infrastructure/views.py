"""The infrastructure register (commandment 8), served under /infrastructure/: the list filtered
by area and region, an entry's page, and the forms to register, edit, approve and delete."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from battkomp.core.codes import label
from battkomp.core.users import is_analyst
from battkomp.measures.access import (
    access_infrastructure_for_user,
    can_edit_infrastructure,
    can_propose_measures,
    infrastructure_for_user,
)
from battkomp.measures.actions import (
    do_approve_infrastructure,
    do_delete_infrastructure,
    do_save_infrastructure,
    partner_organisation,
)
from battkomp.measures.gaps import published_area_gaps
from battkomp.measures.infrastructure.forms import InfrastructureFilterForm, InfrastructureForm
from battkomp.measures.models import Infrastructure
from battkomp.measures.views import errors_onto, safe_next


def infrastructure_list(request: HttpRequest) -> HttpResponse:
    """The register, filtered by area and region, the areas with the largest published gap
    first."""
    filter_form = InfrastructureFilterForm(
        request.GET if ("area" in request.GET or "region" in request.GET) else None
    )
    filters = filter_form.filters()
    qs = infrastructure_for_user(request.user)
    if filters["region"]:
        qs = qs.filter(region=filters["region"])
    items = list(qs)
    if filters["area"]:
        items = [i for i in items if filters["area"] in (i.areas or [])]
    publication, gaps = published_area_gaps()
    rows = []
    for item in items:
        area_gaps = [(gaps[a], a) for a in item.areas or [] if a in gaps]
        top = max(area_gaps) if area_gaps else None
        rows.append(
            {
                "item": item,
                "gap": top[0] if top else None,
                "gap_area": label("area", top[1]) if top else "",
                "areas": [
                    {"code": a, "label": label("area", a), "gap": gaps.get(a)}
                    for a in sorted(item.areas or [], key=lambda a: -gaps.get(a, float("-inf")))
                ],
                "region_label": label("region", item.region),
                "can_edit": can_edit_infrastructure(request.user, item),
            }
        )
    rows.sort(key=lambda r: (r["gap"] is None, -(r["gap"] or 0.0), r["item"].name.lower()))
    return render(
        request,
        "infrastructure/list.html",
        {
            "rows": rows,
            "filter_form": filter_form,
            "filters": filters,
            "publication": publication,
            "can_register": can_propose_measures(request.user),
            "is_analyst": is_analyst(request.user),
        },
    )


def _infrastructure_form_page(
    request: HttpRequest, item: Infrastructure | None = None
) -> HttpResponse:
    analyst = is_analyst(request.user)
    if request.method == "POST":
        form = InfrastructureForm(request.POST, analyst=analyst)
        if form.is_valid():
            data = form.cleaned_data
            owner = data.get("owner") if analyst else partner_organisation(request.user)
            try:
                saved = do_save_infrastructure(request.user, data, owner=owner, infrastructure=item)
            except ValidationError as exc:
                errors_onto(exc, form, "")
            else:
                if saved.approved:
                    messages.success(request, _("“%(name)s” is saved.") % {"name": saved.name})
                else:
                    messages.success(
                        request,
                        _("“%(name)s” is saved. It is listed once the secretariat has approved it.")
                        % {"name": saved.name},
                    )
                return redirect("infrastructure:detail", item_id=saved.pk)
    else:
        initial = InfrastructureForm.initial_for(item) if item else None
        form = InfrastructureForm(initial=initial, analyst=analyst)
    cancel_url = (
        reverse("infrastructure:detail", args=[item.pk]) if item else reverse("infrastructure:list")
    )
    return render(
        request,
        "infrastructure/form.html",
        {
            "form": form,
            "item": item,
            "cancel_url": cancel_url,
            "analyst": analyst,
            "owner": None if analyst else partner_organisation(request.user),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def infrastructure_new(request: HttpRequest) -> HttpResponse:
    if not can_propose_measures(request.user):
        raise Http404
    return _infrastructure_form_page(request)


@login_required
@require_http_methods(["GET", "POST"])
def infrastructure_edit(request: HttpRequest, item_id: int) -> HttpResponse:
    item = access_infrastructure_for_user(request.user, item_id, edit=True)
    return _infrastructure_form_page(request, item)


def infrastructure_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    item = access_infrastructure_for_user(request.user, item_id)
    _publication, gaps = published_area_gaps()
    return render(
        request,
        "infrastructure/detail.html",
        {
            "item": item,
            "areas": [
                {"label": label("area", a), "gap": gaps.get(a)}
                for a in sorted(item.areas or [], key=lambda a: -gaps.get(a, float("-inf")))
            ],
            "region_label": label("region", item.region),
            "can_edit": can_edit_infrastructure(request.user, item),
            "is_analyst": is_analyst(request.user),
        },
    )


@login_required
@require_POST
def infrastructure_approve(request: HttpRequest, item_id: int) -> HttpResponse:
    if not is_analyst(request.user):
        raise Http404
    item = access_infrastructure_for_user(request.user, item_id)
    do_approve_infrastructure(item, request.user)
    messages.success(request, _("“%(name)s” is approved.") % {"name": item.name})
    return redirect(safe_next(request, reverse("infrastructure:detail", args=[item.pk])))


@login_required
@require_http_methods(["GET", "POST"])
def infrastructure_delete(request: HttpRequest, item_id: int) -> HttpResponse:
    item = access_infrastructure_for_user(request.user, item_id, edit=True)
    if request.method == "POST":
        name = item.name
        do_delete_infrastructure(item, request.user)
        messages.success(request, _("“%(name)s” is deleted.") % {"name": name})
        return redirect("infrastructure:list")
    return render(request, "infrastructure/delete.html", {"item": item})
