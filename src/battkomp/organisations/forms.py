"""Forms for organisations, facilities, capacity plans and facility status.

The forms check what a person typed and show errors next to the field or row; the ``do_*``
actions check again, so the API and commands get the same rules.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from battkomp.core.codes import choices
from battkomp.core.plausible import PlausibleMaximum, check_plausible
from battkomp.core.validators import validate_org_number
from battkomp.organisations.actions import (
    FACILITY_FIELDS,
    FIRST_YEAR,
    LAST_YEAR,
    ORGANISATION_FIELDS,
    delay_errors,
    normalise_org_number,
    org_number_taken,
    share_errors,
)
from battkomp.organisations.models import (
    Facility,
    FacilityStatusChoice,
    Organisation,
    OrganisationKind,
)


def _segment_choices() -> list[tuple[str, str]]:
    return choices("segment")


def _county_choices() -> list[tuple[str, str]]:
    return [("", _("(none)")), *choices("county")]


def _region_choices() -> list[tuple[str, str]]:
    return [("", "—"), *choices("region")]


def _segment_choices_blank() -> list[tuple[str, str]]:
    return [("", "—"), *choices("segment")]


class OrganisationForm(forms.ModelForm):
    # Wider than the stored 9 digits so "923 609 016" can be typed; spaces are removed.
    org_number = forms.CharField(
        label=_("Organisation number"),
        max_length=20,
        required=False,
        help_text=_("Nine digits, as in the Brønnøysund Register Centre. Spaces are ignored."),
    )
    segments = forms.MultipleChoiceField(
        label=_("Value-chain segments"),
        choices=_segment_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    county = forms.ChoiceField(label=_("County"), choices=_county_choices, required=False)

    class Meta:
        model = Organisation
        fields = list(ORGANISATION_FIELDS)
        labels = {"name": _("Name"), "kind": _("Kind")}

    def clean_org_number(self) -> str:
        number = normalise_org_number(self.cleaned_data.get("org_number"))
        validate_org_number(number)
        other = org_number_taken(number, self.instance)
        if other is not None:
            raise forms.ValidationError(
                _("Organisation number %(number)s already belongs to %(name)s."),
                params={"number": number, "name": other.name},
                code="org_number_taken",
            )
        return number


class OrganisationFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, help_text=_("Name or org number"))
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All kinds")), *OrganisationKind.choices],
    )
    segment = forms.ChoiceField(label=_("Segment"), required=False)
    county = forms.ChoiceField(label=_("County"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [("", _("All segments")), *choices("segment")]
        self.fields["county"].choices = [("", _("All counties")), *choices("county")]


class FacilityForm(forms.ModelForm):
    segment = forms.ChoiceField(label=_("Segment"), choices=_segment_choices_blank)
    region = forms.ChoiceField(
        label=_("Region"),
        choices=_region_choices,
        help_text=_("County, or a Nordic country."),
    )

    class Meta:
        model = Facility
        fields = list(FACILITY_FIELDS)
        labels = {
            "name": _("Name"),
            "code": _("Code"),
            "start_year": _("Planned start of production (year)"),
            "realisation_probability": _("Realisation probability (0–1)"),
            "delay_min": _("Shortest delay (years)"),
            "delay_mode": _("Most likely delay (years)"),
            "delay_max": _("Longest delay (years)"),
            "ramp_offset": _("Years ahead of the default staffing ramp"),
            "share_low": _("Lowest share of the plan built (0–1)"),
            "share_mode": _("Most likely share of the plan built (0–1)"),
            "share_high": _("Highest share of the plan built (0–1)"),
            "intensity": _("Jobs per GWh/yr (blank: the segment's default)"),
            "announced_jobs": _("Direct jobs announced for the full plan"),
            "source": _("Source"),
        }
        help_texts = {
            "realisation_probability": _(
                "Leave the probability and the delays blank to use the defaults of the "
                "facility's status, estimated from European plants outside Norway."
            ),
            "share_low": _(
                "If the plant goes ahead, the share of its planned capacity that is built: the "
                "first phases in full, the later ones not. Leave the shares blank for the "
                "defaults of the facility's status."
            ),
            "announced_jobs": _(
                "What the owner has said, with its source. Shown beside the model's full "
                "staffing for comparison; the model does not use it."
            ),
            "code": _("A short identifier: lower-case letters, digits, hyphens and underscores."),
            "source": _("Where the figures come from: links, documents, assumptions."),
            "ramp_offset": _(
                "0 follows the default ramp (the Tesla plan: full staffing in year 8); a small "
                "plant that staffs up faster is some years ahead."
            ),
        }
        widgets = {"source": forms.Textarea(attrs={"rows": 3})}
        localized_fields = [
            "realisation_probability",
            "share_low",
            "share_mode",
            "share_high",
            "intensity",
            "announced_jobs",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # most plants follow the default ramp: a blank offset means 0
        self.fields["ramp_offset"].required = False

    def clean_ramp_offset(self) -> int:
        value = self.cleaned_data.get("ramp_offset")
        return 0 if value in (None, "") else int(value)

    def clean_intensity(self) -> float | None:
        value = self.cleaned_data.get("intensity")
        check_plausible("facilities", "intensity", value)
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for field, message in delay_errors(
            cleaned.get("delay_min"), cleaned.get("delay_mode"), cleaned.get("delay_max")
        ).items():
            self.add_error(field, message)
        for field, message in share_errors(
            cleaned.get("share_low"), cleaned.get("share_mode"), cleaned.get("share_high")
        ).items():
            self.add_error(field, message)
        return cleaned


class PlanRowForm(forms.Form):
    """One (year, capacity) row of the plan table; a row left blank is ignored."""

    year = forms.IntegerField(
        label=_("Year"),
        required=False,
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
        widget=forms.NumberInput(attrs={"class": "year"}),
    )
    capacity = forms.FloatField(
        label=_("Capacity (GWh/yr)"),
        required=False,
        min_value=0,
        validators=[PlausibleMaximum("capacity_plans", "capacity")],
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 8}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        year, capacity = cleaned.get("year"), cleaned.get("capacity")
        if year is None and capacity is not None and "year" not in self.errors:
            self.add_error("year", _("Give the year of this capacity."))
        if capacity is None and year is not None and "capacity" not in self.errors:
            self.add_error("capacity", _("Give the capacity for this year."))
        return cleaned

    def is_blank(self) -> bool:
        return self.cleaned_data.get("year") is None and self.cleaned_data.get("capacity") is None


class BasePlanFormSet(forms.BaseFormSet):
    def _construct_form(self, i: int, **kwargs: Any) -> forms.Form:
        form = super()._construct_form(i, **kwargs)
        # The table's column headers name the columns; screen readers also get the row.
        row = {"row": i + 1}
        form.fields["year"].widget.attrs["aria-label"] = _("Year, row %(row)s") % row
        form.fields["capacity"].widget.attrs["aria-label"] = _("Capacity, row %(row)s") % row
        return form

    def clean(self) -> None:
        # Duplicates are reported even when other rows have errors, so one round shows them all.
        seen: dict[int, int] = {}
        for number, form in enumerate(self.forms, start=1):
            year = getattr(form, "cleaned_data", {}).get("year")
            if year is None:
                continue
            if year in seen:
                form.add_error(
                    "year",
                    forms.ValidationError(
                        _("The year %(year)s is already given in row %(other)s."),
                        params={"year": year, "other": seen[year]},
                        code="duplicate_year",
                    ),
                )
            else:
                seen[year] = number
        if not seen and not any(form.errors for form in self.forms):
            raise forms.ValidationError(
                _("A capacity plan needs at least one year."), code="empty_plan"
            )

    def rows(self) -> list[tuple[int, float]]:
        return [
            (form.cleaned_data["year"], form.cleaned_data["capacity"])
            for form in self.forms
            if form.cleaned_data and not form.is_blank()
        ]


PlanFormSet = forms.formset_factory(
    PlanRowForm,
    formset=BasePlanFormSet,
    extra=4,
    max_num=200,
    validate_max=True,
    absolute_max=250,
)


class PlanNoteForm(forms.Form):
    note = forms.CharField(
        label=_("What changed, and why"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept with this version of the plan, e.g. the announcement it is based on."),
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=FacilityStatusChoice.choices)
    date = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("When the status took effect (e.g. the date of the announcement)."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
