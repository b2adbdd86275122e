"""Forms for measures, committed study places and infrastructure. Code lists come from
core.codes and the engine's default tables, in the active language when the form is built."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from battkomp.core.codes import choices, codes, label
from battkomp.core.plausible import PlausibleMaximum
from battkomp.measures.actions import TRANSITIONS, clean_targets
from battkomp.measures.catalogue import commandment_choices, lever_choices
from battkomp.measures.models import (
    Horizon,
    Measure,
    MeasureStatus,
)
from battkomp.offers.forms import BLANK, ShareField, WeightedAreaRow, format_number
from battkomp.organisations.models import Organisation

TARGET_ROWS_BLANK = 3


class MeasureForm(forms.Form):
    title_nb = forms.CharField(
        label=_("Title (bokmål)"),
        max_length=200,
        required=False,
        help_text=_("Give the title in bokmål, English or both."),
    )
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=Organisation.objects.order_by("name"),
        required=False,
        help_text=_("The organisation responsible for the measure (optional)."),
    )
    commandment = forms.TypedChoiceField(label=_("Commandment"), coerce=int)
    lever = forms.ChoiceField(
        label=_("Lever"), help_text=_("How the measure adds people with the competence.")
    )
    horizon = forms.ChoiceField(
        label=_("Horizon"),
        required=False,
        help_text=_("Leave empty to take the lever's horizon."),
    )
    status = forms.ChoiceField(label=_("Status"), choices=MeasureStatus.choices)
    description_nb = forms.CharField(
        label=_("Description (bokmål)"), required=False, widget=forms.Textarea
    )
    description_en = forms.CharField(
        label=_("Description (English)"), required=False, widget=forms.Textarea
    )
    places_per_year = forms.FloatField(
        label=_("Places per year"),
        min_value=0,
        validators=[PlausibleMaximum("measures", "places_per_year")],
        widget=forms.NumberInput(attrs={"step": "any"}),
        help_text=_(
            "Extra study places (educate), course places (retraining, EVU) or people recruited "
            "from abroad per year."
        ),
    )
    start_year = forms.IntegerField(label=_("Start year"), min_value=1990, max_value=2100)
    end_year = forms.IntegerField(
        label=_("End year"),
        min_value=1990,
        max_value=2100,
        required=False,
        help_text=_("Leave empty if the measure lasts to the model's horizon."),
    )
    duration_years = forms.FloatField(
        label=_("Duration (years)"),
        required=False,
        min_value=0,
        max_value=10,
        widget=forms.NumberInput(attrs={"step": "any"}),
        help_text=_("Programme or course duration; empty: the level's typical duration."),
    )
    completion_rate = ShareField(
        label=_("Completion rate"),
        required=False,
        help_text=_("Optional: share who complete, 0–1 or a percentage (e.g. 0.8 or 80 %)."),
    )
    cost_nok = forms.FloatField(
        label=_("Cost (NOK)"),
        required=False,
        min_value=0,
        validators=[PlausibleMaximum("measures", "cost_nok")],
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    url = forms.URLField(label=_("Link"), required=False, max_length=500, assume_scheme="https")
    source = forms.CharField(
        label=_("Source"),
        required=False,
        widget=forms.Textarea,
        help_text=_("Where the figures come from (decision, budget, web page, own estimate)."),
    )

    def __init__(self, *args: Any, analyst: bool, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["commandment"].choices = commandment_choices()
        self.fields["lever"].choices = lever_choices()
        self.fields["horizon"].choices = [
            ("", gettext("From the lever")),
            *Horizon.choices,
        ]
        if not analyst:
            del self.fields["owner"]
        if not (analyst and creating):
            del self.fields["status"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not (data.get("title_nb") or data.get("title_en")):
            self.add_error("title_nb", _("Give the measure a title (in bokmål or English)."))
        return data

    @staticmethod
    def initial_for(measure: Measure) -> dict[str, Any]:
        data: dict[str, Any] = {
            f: getattr(measure, f)
            for f in (
                "title_nb",
                "title_en",
                "commandment",
                "lever",
                "horizon",
                "description_nb",
                "description_en",
                "places_per_year",
                "start_year",
                "end_year",
                "duration_years",
                "cost_nok",
                "url",
                "source",
            )
        }
        data["owner"] = measure.owner_id
        data["completion_rate"] = format_number(measure.completion_rate)
        return data


class TargetRowForm(WeightedAreaRow):
    level = forms.ChoiceField(label=_("Education level"), required=False)
    field_order = ("level", "area", "weight")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = BLANK + choices("level")
        self.fields["level"].widget.attrs["aria-label"] = gettext(
            "Education level, row %(row)s"
        ) % {"row": self.row_number}

    def filled(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return bool(data.get("level") or data.get("area") or (data.get("weight") or "").strip())


class BaseTargetFormSet(forms.BaseFormSet):
    lever = ""

    def triples(self) -> list[tuple[str, str, str]]:
        return [
            (
                f.cleaned_data.get("level") or "",
                f.cleaned_data.get("area") or "",
                f.cleaned_data.get("weight") or "",
            )
            for f in self.forms
            if f.filled()
        ]

    def clean(self) -> None:
        if any(self.errors):
            return
        _cleaned, problems = clean_targets(self.triples(), self.lever)
        if problems:
            raise ValidationError(problems)


def target_formset(data: Any = None, measure: Measure | None = None, lever: str = "") -> Any:
    initial = []
    if measure is not None and data is None:
        initial = [
            {"level": t.level, "area": t.area, "weight": format_number(t.weight)}
            for t in measure.targets.all()
        ]
    formset_class = forms.formset_factory(
        TargetRowForm,
        formset=BaseTargetFormSet,
        extra=TARGET_ROWS_BLANK,
        max_num=60,
        validate_max=True,
    )
    formset = formset_class(data, initial=initial or None, prefix="targets")
    formset.lever = lever
    return formset


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)

    def __init__(self, *args: Any, measure: Measure, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = TRANSITIONS.get(measure.status, ())
        self.fields["status"].choices = [(s, str(MeasureStatus(s).label)) for s in allowed]


def area_checkbox_choices() -> list[tuple[str, str]]:
    return [(a, label("area", a)) for a in codes("area")]


class CommitPlacesForm(forms.Form):
    """An institution commits new study places (a proposed measure)."""

    level = forms.ChoiceField(label=_("Education level"))
    areas = forms.MultipleChoiceField(
        label=_("Competence areas"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The places are shared equally between the areas you choose."),
    )
    places_per_year = forms.IntegerField(
        label=_("Study places per year"),
        min_value=1,
        validators=[PlausibleMaximum("measures", "places_per_year")],
    )
    start_year = forms.IntegerField(label=_("First intake (year)"), min_value=1990, max_value=2100)
    title = forms.CharField(
        label=_("Title"),
        required=False,
        max_length=200,
        help_text=_("Optional: e.g. the programme the places are added to."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = BLANK + choices("level")
        self.fields["areas"].choices = area_checkbox_choices()
