"""Forms for registering offers and filtering the grid. Code lists come from core.codes, in the
active language at the time the form is built."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from battkomp.core.codes import choices, codes, label, taxonomy
from battkomp.core.plausible import PlausibleMaximum, clean_share
from battkomp.offers.actions import OFFER_FIELDS, clean_areas, parse_number
from battkomp.offers.models import Offer, OfferKind, OfferMode, OfferStatus

BLANK = [("", "—")]
AREA_ROWS_BLANK = 3  # empty rows offered below the filled ones (no JavaScript needed)


def format_number(value: float | None) -> str:
    """A stored float as the user should see it in a text input."""
    if value is None:
        return ""
    return formats.number_format(round(value, 6))


def area_choices() -> list[tuple[str, Any]]:
    """Competence areas grouped under their parent group (an <optgroup> per group)."""
    tax = taxonomy()
    groups: dict[str, list[tuple[str, str]]] = {}
    for area in codes("area"):
        groups.setdefault(tax.area_parent.get(area, ""), []).append((area, label("area", area)))
    return [*BLANK, *((label("area", g), opts) for g, opts in groups.items())]


class ShareField(forms.CharField):
    """A share typed as 0–1 or as a percentage (85, 85 %, 0,85); 1–2 without ``%`` is refused
    as ambiguous (:func:`battkomp.core.plausible.clean_share`, the one rule of every path)."""

    def to_python(self, value: Any) -> float | None:  # type: ignore[override]
        return clean_share(super().to_python(value))


class OfferForm(forms.Form):
    name_nb = forms.CharField(
        label=_("Name (bokmål)"),
        max_length=200,
        required=False,
        help_text=_("Give the name in bokmål, English or both."),
    )
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    code = forms.SlugField(
        label=_("Code"),
        max_length=80,
        help_text=_(
            "A short unique code: letters, digits, hyphens and underscores, e.g. "
            "uia-battery-technology."
        ),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=OfferKind.choices)
    level = forms.ChoiceField(
        label=_("Level"),
        help_text=_(
            "The NKR level of the offer, or EVU for continuing education and short modules."
        ),
    )
    target_level = forms.ChoiceField(
        label=_("Counts at level (EVU and modules)"),
        required=False,
        help_text=_(
            "For EVU and modules: the level the participants' competence counts at. "
            "Required when the level is EVU."
        ),
    )
    study_places = forms.IntegerField(
        label=_("Study places per year"),
        required=False,
        min_value=0,
        validators=[PlausibleMaximum("education_offers", "study_places")],
    )
    candidates = forms.IntegerField(
        label=_("Candidates per year"),
        required=False,
        min_value=0,
        validators=[PlausibleMaximum("education_offers", "candidates")],
        help_text=_("Give study places, candidates or both (at least one)."),
    )
    first_intake = forms.IntegerField(
        label=_("First intake (year)"), min_value=1990, max_value=2100
    )
    duration_years = forms.FloatField(
        label=_("Duration (years)"),
        required=False,
        min_value=0,
        max_value=10,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    ects = forms.FloatField(
        label=_("ECTS"),
        required=False,
        min_value=0,
        max_value=600,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    region = forms.ChoiceField(label=_("Location"))
    mode = forms.ChoiceField(label=_("Mode"), choices=OfferMode.choices, initial=OfferMode.CAMPUS)
    status = forms.ChoiceField(label=_("Status"), choices=OfferStatus.choices)
    completion_rate = ShareField(
        label=_("Completion rate"),
        required=False,
        help_text=_("Optional: share who complete, 0–1 or a percentage (e.g. 0.8 or 80 %)."),
    )
    capture_share = ShareField(
        label=_("Share to the battery industry"),
        required=False,
        help_text=_(
            "Optional: share of graduates the battery industry attracts, 0–1 or a percentage."
        ),
    )
    source = forms.CharField(
        label=_("Source"),
        required=False,
        widget=forms.Textarea,
        help_text=_("Where the figures come from (web page, DBH, own estimate)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = choices("level_or_evu")
        self.fields["target_level"].choices = BLANK + choices("level")
        self.fields["region"].choices = choices("region")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not (data.get("name_nb") or data.get("name_en")):
            self.add_error("name_nb", _("Give the offer a name (in bokmål or English)."))
        return data

    @staticmethod
    def initial_for(offer: Offer) -> dict[str, Any]:
        data: dict[str, Any] = {f: getattr(offer, f) for f in OFFER_FIELDS}
        data["completion_rate"] = format_number(offer.completion_rate)
        data["capture_share"] = format_number(offer.capture_share)
        return data


class WeightedAreaRow(forms.Form):
    """One row of a formset of competence areas with weights (an offer's areas, a measure's
    targets): the fields, their choices and the row-numbered labels screen readers announce."""

    area = forms.ChoiceField(label=_("Competence area"), required=False)
    weight = forms.CharField(label=_("Weight"), required=False, max_length=20)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = area_choices()
        row = self.row_number
        self.fields["area"].widget.attrs["aria-label"] = gettext("Competence area, row %(row)s") % {
            "row": row
        }
        self.fields["weight"].widget.attrs.update(
            {
                "aria-label": gettext("Weight, row %(row)s") % {"row": row},
                "inputmode": "decimal",
                "size": "8",
            }
        )

    @property
    def row_number(self) -> int:
        try:
            return int(str(self.prefix).rsplit("-", 1)[-1]) + 1
        except ValueError:
            return 1


class AreaRowForm(WeightedAreaRow):
    def clean(self) -> dict[str, Any]:
        data = super().clean()
        area, weight = data.get("area"), (data.get("weight") or "").strip()
        if area and not weight:
            self.add_error("weight", _("Give a weight for this area."))
        elif weight and not area:
            self.add_error("area", _("Choose the competence area this weight is for."))
        if weight:
            try:
                number = parse_number(weight)
            except (TypeError, ValueError, ArithmeticError):
                self.add_error("weight", _("The weight must be a number, e.g. 0.5 or 50."))
            else:
                if number <= 0:
                    self.add_error("weight", _("The weight must be more than 0."))
        return data


class BaseAreaFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        rows, pairs = [], []
        for form in self.forms:
            area, weight = form.cleaned_data.get("area"), form.cleaned_data.get("weight")
            if area or weight:
                rows.append(form.row_number)
                pairs.append((area, weight))
        _cleaned, problems = clean_areas(pairs, rows)
        if problems:
            raise ValidationError(problems)

    def pairs(self) -> list[tuple[str, str]]:
        """The filled rows as (area, weight) pairs, in order."""
        return [
            (f.cleaned_data["area"], f.cleaned_data["weight"])
            for f in self.forms
            if f.cleaned_data.get("area")
        ]


def area_formset(data: Any = None, offer: Offer | None = None) -> forms.BaseFormSet:
    """The (area, weight) rows: the offer's areas, then a few blank rows."""
    initial = []
    if offer is not None and data is None:
        initial = [{"area": a.area, "weight": format_number(a.weight)} for a in offer.areas.all()]
    formset_class = forms.formset_factory(
        AreaRowForm,
        formset=BaseAreaFormSet,
        extra=AREA_ROWS_BLANK,
        max_num=60,
        validate_max=True,
    )
    return formset_class(data, initial=initial or None, prefix="areas")


class GridFilterForm(forms.Form):
    region = forms.ChoiceField(label=_("Location"), required=False)
    status = forms.ChoiceField(label=_("Offer status"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", gettext("All locations")), *choices("region")]
        self.fields["status"].choices = [("", gettext("All statuses")), *OfferStatus.choices]

    def filters(self) -> dict[str, str]:
        """The valid filters (an invalid one is dropped, and its error shown)."""
        if not self.is_bound:
            return {"region": "", "status": ""}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"region": data.get("region") or "", "status": data.get("status") or ""}
