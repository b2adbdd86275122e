"""The analysts' page for running the model on the platform's data, and the bundle download."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from battkomp.accounts.access import require_analyst
from battkomp.analysis.actions import FORMATS, do_export_bundle
from battkomp.analysis.bundle import DATABASE_TABLES, DEMO_TABLES, collect_bundle, latest_round
from battkomp.survey.models import ParticipantStatus, Round


class RoundChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Round) -> str:
        return f"{obj.name} ({obj.get_status_display()})"


class BundleForm(forms.Form):
    round = RoundChoiceField(
        queryset=Round.objects.order_by("-opens_on", "-id"),
        required=False,
        label=_("Survey round"),
        empty_label=_("The latest round"),
        help_text=_("The submitted answers of this round become the bundle's survey needs."),
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[
            ("zip", _("CSV files in a .zip (a bundle folder)")),
            ("xlsx", _("Excel workbook, one sheet per table (.xlsx)")),
        ],
        initial="zip",
    )


def _home(request: HttpRequest, form: BundleForm, status: int = 200) -> HttpResponse:
    rounds = Round.objects.annotate(
        n_participants=Count("participants", distinct=True),
        n_submitted=Count(
            "participants",
            filter=Q(participants__status=ParticipantStatus.SUBMITTED),
            distinct=True,
        ),
    ).order_by("-opens_on", "-id")
    latest = latest_round()
    contents = collect_bundle(latest)
    counts = contents.counts()
    tables = [
        {"name": name, "rows": counts.get(name, 0), "from_demo": name in DEMO_TABLES}
        for name in (*DATABASE_TABLES, *DEMO_TABLES)
    ]
    context = {
        "rounds": rounds,
        "latest": latest,
        "form": form,
        "tables": tables,
        "demo_tables": DEMO_TABLES,
        "notes": contents.notes,
        "respondents": len(contents.respondents),
    }
    return render(request, "analysis/home.html", context, status=status)


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    require_analyst(request.user)
    return _home(request, BundleForm())


@login_required
@require_GET
@never_cache
def bundle_download(request: HttpRequest) -> HttpResponse:
    """The engine input bundle as a .zip of CSV files or an .xlsx workbook; every download is
    logged, since it holds companies' answers."""
    require_analyst(request.user)
    form = BundleForm(request.GET)
    if not form.is_valid():
        return _home(request, form, status=400)
    fmt = form.cleaned_data["format"]
    bundle = do_export_bundle(request.user, round=form.cleaned_data["round"], fmt=fmt)
    response = HttpResponse(bundle.content, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{bundle.filename}"'
    return response
