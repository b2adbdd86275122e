"""The analysts' pages for the model on the platform's data: the bundle download, scenarios,
model runs (start, progress, results) and two runs side by side. Analysts and admins only."""

from __future__ import annotations

from typing import Any

import polars as pl
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_tasks import TaskResultStatus

from battkomp.analysis.access import (
    access_run_for_user,
    access_run_inputs,
    access_scenario_for_user,
    runs_for_user,
    scenarios_for_user,
)
from battkomp.analysis.models import (
    MAX_DRAWS,
    ModelRun,
    ModelRunInputs,
    RunStatus,
    Scenario,
)
from battkomp.analysis.publishing.tasks import publish_run, publishing_failed, publishing_now
from battkomp.analysis.runs.actions import (
    FORMATS,
    do_export_bundle,
    do_retry_run,
    do_save_scenario,
    do_start_run,
    rerun_command,
)
from battkomp.analysis.runs.bundle_export import (
    DATABASE_TABLES,
    DEMO_TABLES,
    collect_bundle,
    latest_round,
)
from battkomp.analysis.runs.queries import (
    TOTAL_METRICS,
    band_table,
    compare_rows,
    differences,
    load_frames,
    reproduction_of,
    squeeze_rows,
    totals_rows,
)
from battkomp.analysis.runs.scenarios import RESERVED_NAMES, overrides_text
from battkomp.core import charts
from battkomp.core.charts import supply_source_labels, supply_sources
from battkomp.core.numbers import format_number
from battkomp.core.plausible import PlausibleMaximum
from battkomp.core.users import require_analyst
from battkomp.engine.schema import HORIZON_ORDER
from battkomp.organisations.models import Facility
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
        {"name": name, "rows": counts.get(name, 0), "from_demo": name in contents.from_demo}
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
        "n_scenarios": Scenario.objects.count(),
        "n_runs": runs_for_user(request.user).count(),
    }
    return render(request, "analysis/runs/home.html", context, status=status)


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


# ------------------------------------------------------------------------------------ scenarios


class FacilityChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Facility) -> str:
        return f"{obj.name} ({obj.code})"


class ScenarioForm(forms.Form):
    name = forms.SlugField(
        label=_("Code"),
        max_length=60,
        help_text=_("A short code: letters, digits, '_' and '-' (e.g. low, mid, high)."),
    )
    title_nb = forms.CharField(
        label=_("Title (bokmål)"),
        max_length=200,
        required=False,
        help_text=_(
            "The scenario's name on the public pages and in the report, e.g. “Høy utbygging”. "
            "Without a title the code is shown."
        ),
    )
    title_en = forms.CharField(
        label=_("Title (English)"),
        max_length=200,
        required=False,
        help_text=_("E.g. “Revival”."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the scenario assumes."),
    )
    weight = forms.FloatField(
        label=_("Weight"),
        min_value=0.0,
        initial=1.0,
        validators=[PlausibleMaximum("scenarios", "weight")],
        help_text=_(
            "The scenario's share of the draws in a weighted run (weights are scaled to sum to 1)."
        ),
    )
    excluded = FacilityChoiceField(
        queryset=Facility.objects.order_by("name", "pk"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Facilities left out"),
        help_text=_(
            "A facility left out is never realised in this scenario (its realisation probability "
            "becomes 0)."
        ),
    )
    overrides = forms.CharField(
        label=_("Changes (overrides)"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        help_text=_(
            "One change a line: table, key, column, value, and optionally a source, separated by "
            "commas (or semicolons, or tabs as pasted from a spreadsheet). The key is the row's "
            "key columns joined by “|”, e.g. facilities, elinor_orkland, delay_mode, 3 or "
            "capacity_plans, elinor_orkland|2030, capacity, 20."
        ),
    )

    def __init__(self, *args: Any, scenario: Scenario | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scenario = scenario

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if name in RESERVED_NAMES:
            raise forms.ValidationError(
                _("“%(name)s” means something else on the run page; choose another name.")
                % {"name": name}
            )
        others = Scenario.objects.filter(name=name)
        if self.scenario is not None:
            others = others.exclude(pk=self.scenario.pk)
        if others.exists():
            raise forms.ValidationError(_("There is already a scenario with this name."))
        return name


def _initial(scenario: Scenario) -> dict[str, Any]:
    return {
        "name": scenario.name,
        "title_nb": scenario.title_nb,
        "title_en": scenario.title_en,
        "description": scenario.description,
        "weight": scenario.weight,
        "excluded": list(scenario.excluded_facilities.all()),
        "overrides": overrides_text(scenario.overrides.order_by("position", "pk")),
    }


@login_required
@require_GET
def scenarios(request: HttpRequest) -> HttpResponse:
    query = scenarios_for_user(request.user).annotate(
        n_overrides=Count("overrides", distinct=True),
        n_excluded=Count("excluded_facilities", distinct=True),
    )
    items = list(query)
    total = sum(s.weight for s in items)
    for s in items:
        s.share = s.weight / total if total > 0 else None
    return render(request, "analysis/runs/scenarios.html", {"scenarios": items})


def _scenario_form(request: HttpRequest, scenario: Scenario | None) -> HttpResponse:
    if request.method == "POST":
        form = ScenarioForm(request.POST, scenario=scenario)
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = do_save_scenario(
                    request.user,
                    scenario,
                    name=data["name"],
                    title_nb=data["title_nb"],
                    title_en=data["title_en"],
                    description=data["description"],
                    weight=data["weight"],
                    overrides=data["overrides"],
                    excluded=list(data["excluded"]),
                )
            except ValidationError as exc:
                # problems by field (the weight) go to their field, the engine's to the changes
                form.add_error(None if hasattr(exc, "error_dict") else "overrides", exc)
            else:
                messages.success(
                    request, _("The scenario %(name)s was saved.") % {"name": saved.name}
                )
                return redirect("analysis:scenarios")
        status = 400
    else:
        form = ScenarioForm(initial=_initial(scenario) if scenario else None, scenario=scenario)
        status = 200
    context = {"form": form, "scenario": scenario}
    return render(request, "analysis/runs/scenario_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def scenario_new(request: HttpRequest) -> HttpResponse:
    require_analyst(request.user)
    return _scenario_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def scenario_edit(request: HttpRequest, scenario_id: int) -> HttpResponse:
    scenario = access_scenario_for_user(request.user, scenario_id)
    return _scenario_form(request, scenario)


# ----------------------------------------------------------------------------------- model runs


class ScenarioChoiceField(forms.ChoiceField):
    """weighted, base, or a scenario's id."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=self._choices_now, **kwargs)

    @staticmethod
    def _choices_now() -> list[tuple[str, str]]:
        own = [(str(s.pk), str(s.name)) for s in Scenario.objects.order_by("name")]
        return [
            ("weighted", _("All scenarios, weighted")),
            ("base", _("No scenario (the data as they are)")),
            *own,
        ]


def _draws_help() -> str:
    return gettext(
        "Monte Carlo draws. The run goes to the task queue; its page shows the progress."
    )


class RunForm(forms.Form):
    scenario = ScenarioChoiceField(label=_("Scenario"), initial="weighted")
    round = RoundChoiceField(
        queryset=Round.objects.order_by("-opens_on", "-id"),
        required=False,
        label=_("Survey round"),
        empty_label=_("The latest round"),
        help_text=_("The submitted answers of this round are the survey needs of the run."),
    )
    draws = forms.IntegerField(
        label=_("Draws"),
        min_value=1,
        max_value=MAX_DRAWS,
        initial=1000,
        help_text=lazy(_draws_help, str)(),
    )
    seed = forms.IntegerField(
        label=_("Seed"),
        min_value=0,
        max_value=2**63 - 1,
        initial=0,
        help_text=_("The same inputs, draws and seed give the same numbers."),
    )


class CompareForm(forms.Form):
    a = forms.IntegerField(label=_("Run A"), min_value=1)
    b = forms.IntegerField(label=_("Run B"), min_value=1)


def _runs_page(request: HttpRequest, form: RunForm, status: int = 200) -> HttpResponse:
    runs = list(runs_for_user(request.user)[:200])
    done = [r for r in runs if r.status == RunStatus.DONE]
    context = {
        "form": form,
        "runs": runs,
        "done_runs": done,
        "has_scenarios": Scenario.objects.exists(),
    }
    return render(request, "analysis/runs/runs.html", context, status=status)


@login_required
@require_GET
def runs(request: HttpRequest) -> HttpResponse:
    require_analyst(request.user)
    return _runs_page(request, RunForm())


@login_required
@require_POST
def run_start(request: HttpRequest) -> HttpResponse:
    require_analyst(request.user)
    form = RunForm(request.POST)
    if not form.is_valid():
        return _runs_page(request, form, status=400)
    data = form.cleaned_data
    choice = data["scenario"]
    scenario = None
    if choice not in ("weighted", "base"):
        scenario = access_scenario_for_user(request.user, choice)
    try:
        run = do_start_run(
            request.user,
            scenario=scenario,
            weighted=choice == "weighted",
            round=data["round"],
            draws=data["draws"],
            seed=data["seed"],
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _runs_page(request, form, status=400)
    return redirect("analysis:run_detail", run_id=run.pk)


def _run_charts(
    request: HttpRequest, run: ModelRun, frames: dict[str, pl.DataFrame]
) -> dict[str, Any]:
    """The run page's charts (SVG and data table each), rendered once per run, chart, year and
    language: a finished run never changes. The heatmap's year comes from ``?year=`` (default:
    the last year)."""
    out: dict[str, Any] = {}
    stamp = ("run", run.pk, run.finished_at)
    if "totals" in frames:
        totals = frames["totals"]
        out["gap_chart"] = charts.cached((*stamp, "gap"), lambda: charts.gap_band_chart(totals))
        years = sorted({int(y) for y in totals["year"].unique()})
        if years:
            try:
                year = int(request.GET.get("year", ""))
            except ValueError:
                year = years[-1]
            if year not in years:
                year = years[-1]
            out.update({"chart_years": years, "chart_year": year})

        def heatmap() -> charts.Chart:
            cells = load_frames(run, ["time_squeeze"])["time_squeeze"]
            return charts.shortage_heatmap_chart(cells, year)

        if years and run.frames.filter(name="time_squeeze").exists():
            out["heatmap_chart"] = charts.cached((*stamp, "heatmap", year), heatmap)
    if "squeeze_summary" in frames:
        summary = frames["squeeze_summary"]
        out["squeeze_chart"] = charts.cached(
            (*stamp, "squeeze"), lambda: charts.squeeze_chart(summary)
        )
    return out


class PublishForm(forms.Form):
    title_nb = forms.CharField(
        label=_("Title (bokmål)"),
        max_length=200,
        required=False,
        help_text=_(
            "Shown on the public page, e.g. “Kompetansebehov i batteriindustrien 2026”. "
            "Give the title in bokmål, English or both; a page in the other language shows "
            "it marked."
        ),
    )
    title_en = forms.CharField(
        label=_("Title (English)"),
        max_length=200,
        required=False,
        help_text=_("E.g. “Competence needs in the battery industry 2026”."),
    )
    note_nb = forms.CharField(
        label=_("Note (bokmål)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What is new in this snapshot (public)."),
    )
    note_en = forms.CharField(
        label=_("Note (English)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not (data.get("title_nb") or data.get("title_en")):
            self.add_error("title_nb", _("Give the publication a title (in bokmål or English)."))
        return data


def _run_page(
    request: HttpRequest, run_id: int, publish_form: PublishForm | None = None, status: int = 200
) -> HttpResponse:
    run = access_run_for_user(request.user, run_id)
    context: dict[str, Any] = {
        "run": run,
        "horizons": HORIZON_ORDER,
        "publish_form": publish_form or PublishForm(),
        "publications": run.publications.order_by("-version"),
        "publishing": publishing_now(run.pk),
        "publishing_failed": publishing_failed(run.pk),
        "has_inputs": ModelRunInputs.objects.filter(run=run).exists(),
        "rerun_command": rerun_command(run),
    }
    if run.status == RunStatus.DONE:
        frames = load_frames(run, ["totals", "squeeze_summary"])
        if "totals" in frames:
            context["totals"] = band_table(totals_rows(frames["totals"]), TOTAL_METRICS)
            sources = supply_sources(frames["totals"])
            labels = supply_source_labels()
            supply = totals_rows(frames["totals"], sources)
            if supply:
                context["supply"] = band_table(supply, sources, [labels[m] for m in sources])
        if "squeeze_summary" in frames:
            context["squeeze"] = squeeze_rows(frames["squeeze_summary"])
        context.update(_run_charts(request, run, frames))
        context["reproduction"] = reproduction_of(run)
        context["others"] = (
            runs_for_user(request.user).filter(status=RunStatus.DONE).exclude(pk=run.pk)[:50]
        )
    response = render(request, "analysis/runs/run_detail.html", context, status=status)
    if run.is_active:
        # the progress script (static/battkomp/run-progress.js), a file of the site's own: the
        # one page that runs a script, and only while its run works; every other page keeps
        # script-src 'none'
        response._csp_replace = {"script-src": ["'self'"]}  # type: ignore[attr-defined]
    return response


@login_required
@require_GET
@never_cache
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    return _run_page(request, run_id)


@login_required
@require_GET
@never_cache
def run_status(request: HttpRequest, run_id: int) -> JsonResponse:
    """A run's status and progress as JSON, which the run page's progress script asks for every
    few seconds while the run is queued or running (analysts and admins only)."""
    run = access_run_for_user(request.user, run_id)
    return JsonResponse(
        {
            "status": run.status,
            "status_display": str(run.get_status_display()),
            "active": run.is_active,
            "done": run.progress_done,
            "total": run.progress_total,
            "text": gettext("%(done)s of %(total)s draws done")
            % {
                "done": format_number(run.progress_done, 0),
                "total": format_number(run.progress_total, 0),
            },
        }
    )


@login_required
@require_POST
def run_retry(request: HttpRequest, run_id: int) -> HttpResponse:
    """Queue a failed run again (analysts and admins only)."""
    run = access_run_for_user(request.user, run_id)
    try:
        do_retry_run(request.user, run)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The run is queued again."))
    return redirect("analysis:run_detail", run_id=run.pk)


@login_required
@require_GET
def run_inputs(request: HttpRequest, run_id: int) -> HttpResponse:
    """The input bundle the run was carried out on, as a ZIP (analysts and admins only; the
    read is logged)."""
    inputs = access_run_inputs(request.user, run_id)
    response = HttpResponse(bytes(inputs.data), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="battkomp-run-{run_id}-inputs.zip"'
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def run_publish(request: HttpRequest, run_id: int) -> HttpResponse:
    """Publish a finished run as the next public snapshot (analysts and admins only)."""
    run = access_run_for_user(request.user, run_id)
    form = PublishForm(request.POST)
    if form.is_valid() and run.status != RunStatus.DONE:
        form.add_error(None, _("Only a finished model run can be published."))
    if form.is_valid():
        # Building the protected tables takes a while: the task worker does it.
        data = form.cleaned_data
        result = publish_run.enqueue(
            run.pk,
            request.user.pk,
            data["title_nb"],
            data["note_nb"],
            data["title_en"],
            data["note_en"],
        )
        if result.status == TaskResultStatus.SUCCESSFUL:  # a backend that ran it at once
            version = result.return_value
            messages.success(request, _("Published as version %(version)s.") % {"version": version})
            return redirect("published:detail", version=version)
        if result.status != TaskResultStatus.FAILED:
            messages.success(
                request,
                _(
                    "The snapshot is being published: it appears under Published results in a "
                    "minute or two, and its report files shortly after."
                ),
            )
            return redirect("analysis:run_detail", run_id=run.pk)
        form.add_error(None, _("The snapshot could not be published. See the server log."))
    return _run_page(request, run_id, form, status=400)


@login_required
@require_GET
def run_compare(request: HttpRequest) -> HttpResponse:
    require_analyst(request.user)
    form = CompareForm(request.GET or None)
    context: dict[str, Any] = {
        "form": form,
        "done_runs": runs_for_user(request.user).filter(status=RunStatus.DONE)[:200],
    }
    if not form.is_valid():
        status = 400 if request.GET else 200
        return render(request, "analysis/runs/run_compare.html", context, status=status)
    a = access_run_for_user(request.user, form.cleaned_data["a"])
    b = access_run_for_user(request.user, form.cleaned_data["b"])
    context.update({"a": a, "b": b, "differences": differences(a, b)})
    if a.status == RunStatus.DONE and b.status == RunStatus.DONE:
        ta = load_frames(a, ["totals"]).get("totals")
        tb = load_frames(b, ["totals"]).get("totals")
        if ta is not None and tb is not None:
            context["tables"] = [
                {"metric": m, "rows": compare_rows(ta, tb, m)} for m in TOTAL_METRICS
            ]
    return render(request, "analysis/runs/run_compare.html", context)
