"""Pages for the register of organisations and their facilities.

Analysts and administrators manage the register. A member of an organisation may read their own
organisation's page and its facilities. Everyone else gets 404; anonymous visitors are sent to
the login page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from battkomp.core.codes import label
from battkomp.core.stale import posted_version
from battkomp.core.users import is_analyst, require_analyst
from battkomp.organisations.access import (
    access_facility_for_user,
    access_organisation_for_user,
    organisations_for_user,
)
from battkomp.organisations.actions import (
    StalePlan,
    do_add_status,
    do_save_capacity_plan,
    do_save_facility,
    do_save_organisation,
    normalise_org_number,
)
from battkomp.organisations.forms import (
    FacilityForm,
    OrganisationFilterForm,
    OrganisationForm,
    PlanFormSet,
    PlanNoteForm,
    StatusForm,
)
from battkomp.organisations.models import (
    CapacityPlan,
    CapacityPlanYear,
    Facility,
    FacilityStatus,
    Organisation,
)

PLAN_PREFIX = "rows"


def _apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show an action's errors next to the form's fields (or above the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _current_status(facility: Facility) -> FacilityStatus | None:
    """The latest status by date (then by entry), from prefetched rows."""
    statuses = list(facility.statuses.all())
    return max(statuses, key=lambda s: (s.date, s.pk)) if statuses else None


def _current_plan(facility: Facility) -> CapacityPlan | None:
    plans = list(facility.plans.all())
    return max(plans, key=lambda p: p.version) if plans else None


def _facilities_with_history() -> Any:
    return Facility.objects.prefetch_related(
        Prefetch("statuses", queryset=FacilityStatus.objects.select_related("recorded_by")),
        Prefetch(
            "plans",
            queryset=CapacityPlan.objects.select_related("created_by").prefetch_related(
                Prefetch("years", queryset=CapacityPlanYear.objects.order_by("year"))
            ),
        ),
    )


def _facility_rows(facilities: Any) -> list[dict[str, Any]]:
    rows = []
    for facility in facilities:
        plan = _current_plan(facility)
        years = list(plan.years.all()) if plan else []
        rows.append(
            {
                "facility": facility,
                "status": _current_status(facility),
                "plan": plan,
                "peak": max((y.capacity for y in years), default=None),
                "segment": label("segment", facility.segment),
                "region": label("region", facility.region),
            }
        )
    return rows


# Organisations ------------------------------------------------------------------------------


@login_required
def organisations(request: HttpRequest) -> HttpResponse:
    """The register, with filters by kind, segment and county and a search by name or number."""
    require_analyst(request.user)
    form = OrganisationFilterForm(request.GET)
    form.is_valid()  # invalid filters are shown as errors and ignored; valid ones apply
    filters = form.cleaned_data
    qs = organisations_for_user(request.user).annotate(facility_count=Count("facilities"))
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    if filters.get("county"):
        qs = qs.filter(county=filters["county"])
    q = (filters.get("q") or "").strip()
    if q:
        match = Q(name__icontains=q)
        digits = normalise_org_number(q)
        if digits.isdigit():
            match |= Q(org_number__contains=digits)
        qs = qs.filter(match)
    orgs = list(qs.order_by("name"))
    # Segments are a JSON list; "contains" on JSON is not portable to SQLite, so filter here.
    if filters.get("segment"):
        orgs = [o for o in orgs if filters["segment"] in (o.segments or [])]
    rows = [
        {
            "organisation": o,
            "segments": [label("segment", s) for s in o.segments or []],
            "county": label("county", o.county),
        }
        for o in orgs
    ]
    filtered = any(filters.get(k) for k in ("q", "kind", "segment", "county"))
    return render(
        request,
        "organisations/organisations.html",
        {"form": form, "rows": rows, "filtered": filtered},
    )


@login_required
@require_http_methods(["GET", "POST"])
def organisation_new(request: HttpRequest) -> HttpResponse:
    require_analyst(request.user)
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = do_save_organisation(request.user, form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Organisation “%(name)s” added.") % {"name": org.name})
            return redirect("organisations:organisation_detail", pk=org.pk)
    return render(
        request, "organisations/organisation_form.html", {"form": form, "organisation": None}
    )


@login_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_analyst(request.user)
    org = access_organisation_for_user(request.user, pk)
    # The form works on its own copy, so the page keeps the saved name while errors are shown.
    form = OrganisationForm(request.POST or None, instance=Organisation.objects.get(pk=org.pk))
    if request.method == "POST" and form.is_valid():
        try:
            do_save_organisation(request.user, form.cleaned_data, org)
        except ValidationError as exc:
            org.refresh_from_db()
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Organisation “%(name)s” saved.") % {"name": org.name})
            return redirect("organisations:organisation_detail", pk=org.pk)
    return render(
        request, "organisations/organisation_form.html", {"form": form, "organisation": org}
    )


@login_required
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = access_organisation_for_user(request.user, pk)
    facilities = _facility_rows(_facilities_with_history().filter(organisation=org))
    return render(
        request,
        "organisations/organisation_detail.html",
        {
            "organisation": org,
            "segments": [label("segment", s) for s in org.segments or []],
            "county": label("county", org.county),
            "facilities": facilities,
            "can_manage": is_analyst(request.user),
        },
    )


# Facilities ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def facility_new(request: HttpRequest, pk: int) -> HttpResponse:
    require_analyst(request.user)
    org = access_organisation_for_user(request.user, pk)
    form = FacilityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            facility = do_save_facility(org, request.user, form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("Facility “%(name)s” added. Add its capacity plan and status next.")
                % {"name": facility.name},
            )
            return redirect("organisations:facility_detail", pk=facility.pk)
    return render(
        request,
        "organisations/facility_form.html",
        {"form": form, "organisation": org, "facility": None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def facility_edit(request: HttpRequest, pk: int) -> HttpResponse:
    facility = access_facility_for_user(request.user, pk, edit=True)
    form = FacilityForm(request.POST or None, instance=Facility.objects.get(pk=facility.pk))
    if request.method == "POST" and form.is_valid():
        try:
            do_save_facility(facility.organisation, request.user, form.cleaned_data, facility)
        except ValidationError as exc:
            facility.refresh_from_db()
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Facility “%(name)s” saved.") % {"name": facility.name})
            return redirect("organisations:facility_detail", pk=facility.pk)
    return render(
        request,
        "organisations/facility_form.html",
        {"form": form, "organisation": facility.organisation, "facility": facility},
    )


@login_required
def facility_detail(request: HttpRequest, pk: int) -> HttpResponse:
    facility = access_facility_for_user(request.user, pk, edit=False)
    facility = _facilities_with_history().select_related("organisation").get(pk=facility.pk)
    statuses = sorted(facility.statuses.all(), key=lambda s: (s.date, s.pk), reverse=True)
    for status in statuses:
        status.recorded_by_name = _person(status.recorded_by)
    plans = sorted(facility.plans.all(), key=lambda p: p.version, reverse=True)
    all_years = sorted({y.year for p in plans for y in p.years.all()})
    versions = []
    for plan in plans:
        values = {y.year: y.capacity for y in plan.years.all()}
        versions.append(
            {
                "plan": plan,
                "author": _person(plan.created_by),
                "cells": [values.get(year) for year in all_years],
            }
        )
    current = plans[0] if plans else None
    return render(
        request,
        "organisations/facility_detail.html",
        {
            "facility": facility,
            "organisation": facility.organisation,
            "segment": label("segment", facility.segment),
            "region": label("region", facility.region),
            "status": statuses[0] if statuses else None,
            "statuses": statuses,
            "current_plan": current,
            "current_years": list(current.years.all()) if current else [],
            "versions": versions,
            "all_years": all_years,
            "can_manage": is_analyst(request.user),
        },
    )


def _person(user: User | None) -> str:
    if user is None:
        return _("(system)")
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return full or user.email or user.get_username()


def _row_error_summary(formset: Any) -> list[str]:
    """Every error in the plan table, each naming its row and column."""
    summary = [str(e) for e in formset.non_form_errors()]
    for number, form in enumerate(formset.forms, start=1):
        for field, errors in form.errors.items():
            column = form.fields[field].label if field in form.fields else ""
            for message in errors:
                if column:
                    summary.append(
                        _("Row %(row)s, %(column)s: %(message)s")
                        % {"row": number, "column": column, "message": message}
                    )
                else:
                    summary.append(
                        _("Row %(row)s: %(message)s") % {"row": number, "message": message}
                    )
    return summary


@login_required
@require_http_methods(["GET", "POST"])
def facility_plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit the capacity plan as a table of (year, capacity) rows; saving adds a new version."""
    facility = access_facility_for_user(request.user, pk, edit=True)
    current = facility.current_plan()
    action_errors: list[str] = []
    # The version the form was filled from (0: no plan yet); a save based on an older one than
    # the latest is refused, so nobody's version is replaced unseen.
    based_on: int | None = current.version if current is not None else 0
    stale: StalePlan | None = None
    if request.method == "POST":
        formset = PlanFormSet(request.POST, prefix=PLAN_PREFIX)
        note_form = PlanNoteForm(request.POST)
        based_on = posted_version(request.POST)
        if formset.is_valid() and note_form.is_valid():
            try:
                plan = do_save_capacity_plan(
                    facility,
                    request.user,
                    formset.rows(),
                    note_form.cleaned_data["note"],
                    based_on=based_on,
                )
            except StalePlan as exc:
                # Nothing was written; the form keeps the typed rows and is based on the latest
                # version now, so saving again records it deliberately.
                stale = exc
                based_on = exc.current
                current = facility.current_plan()
            except ValidationError as exc:
                action_errors = list(exc.messages)
            else:
                messages.success(
                    request,
                    _("Version %(version)s of the capacity plan saved.")
                    % {"version": plan.version},
                )
                return redirect("organisations:facility_detail", pk=facility.pk)
    else:
        initial = (
            [{"year": y.year, "capacity": y.capacity} for y in current.years.order_by("year")]
            if current
            else []
        )
        formset = PlanFormSet(initial=initial, prefix=PLAN_PREFIX)
        note_form = PlanNoteForm()
    summary = _row_error_summary(formset) if formset.is_bound else []
    return render(
        request,
        "organisations/facility_plan_form.html",
        {
            "facility": facility,
            "organisation": facility.organisation,
            "current_plan": current,
            "formset": formset,
            "rows": list(enumerate(formset.forms, start=1)),
            "note_form": note_form,
            "errors": summary + action_errors,
            "based_on": based_on,
            "stale": stale,
            "stale_title": _("Someone else changed this capacity plan"),
        },
        status=409 if stale else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def facility_status_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a dated status to the facility's history (the history itself is never edited)."""
    facility = access_facility_for_user(request.user, pk, edit=True)
    form = StatusForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            do_add_status(
                facility,
                request.user,
                form.cleaned_data["status"],
                form.cleaned_data["date"],
                form.cleaned_data["note"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Status added to the history."))
            return redirect("organisations:facility_detail", pk=facility.pk)
    statuses = facility.statuses.select_related("recorded_by").order_by("-date", "-id")
    return render(
        request,
        "organisations/facility_status_form.html",
        {
            "facility": facility,
            "organisation": facility.organisation,
            "form": form,
            "statuses": statuses,
        },
    )
