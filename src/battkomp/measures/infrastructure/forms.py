"""Forms of the infrastructure register: an entry, and the list's area and region filter."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from battkomp.core.codes import choices
from battkomp.measures.actions import INFRASTRUCTURE_FIELDS
from battkomp.measures.forms import area_checkbox_choices
from battkomp.measures.models import Infrastructure, InfrastructureKind
from battkomp.organisations.models import Organisation


class InfrastructureForm(forms.Form):
    name_nb = forms.CharField(
        label=_("Name (bokmål)"),
        max_length=200,
        required=False,
        help_text=_("Give the name in bokmål, English or both."),
    )
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=Organisation.objects.order_by("name"),
        required=False,
        help_text=_("A registered organisation, or give the owner's name below."),
    )
    owner_name = forms.CharField(
        label=_("Owner's name (if not registered)"), required=False, max_length=200
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=InfrastructureKind.choices)
    region = forms.ChoiceField(label=_("Region"))
    place = forms.CharField(label=_("Place"), required=False, max_length=120)
    areas = forms.MultipleChoiceField(
        label=_("Capabilities (competence areas)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    description_nb = forms.CharField(
        label=_("Description (bokmål)"), required=False, widget=forms.Textarea
    )
    description_en = forms.CharField(
        label=_("Description (English)"), required=False, widget=forms.Textarea
    )
    access_terms_nb = forms.CharField(
        label=_("Access terms (bokmål)"),
        required=False,
        widget=forms.Textarea,
        help_text=_("Who may use it and how: open access, by agreement, members only, prices."),
    )
    access_terms_en = forms.CharField(
        label=_("Access terms (English)"), required=False, widget=forms.Textarea
    )
    url = forms.URLField(label=_("Link"), required=False, max_length=500, assume_scheme="https")
    public = forms.BooleanField(
        label=_("Show in the public register"), required=False, initial=True
    )
    source = forms.CharField(label=_("Source"), required=False, widget=forms.Textarea)

    def __init__(self, *args: Any, analyst: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = choices("region")
        self.fields["areas"].choices = area_checkbox_choices()
        if not analyst:
            del self.fields["owner"]
            del self.fields["owner_name"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not (data.get("name_nb") or data.get("name_en")):
            self.add_error("name_nb", _("Give the facility a name (in bokmål or English)."))
        if "owner" in self.fields and not data.get("owner") and not data.get("owner_name"):
            self.add_error("owner_name", _("Give the owner: a registered organisation or a name."))
        return data

    @staticmethod
    def initial_for(item: Infrastructure) -> dict[str, Any]:
        data = {f: getattr(item, f) for f in INFRASTRUCTURE_FIELDS}
        data["owner"] = item.owner_id
        return data


class InfrastructureFilterForm(forms.Form):
    area = forms.ChoiceField(label=_("Competence area"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", gettext("All areas")), *area_checkbox_choices()]
        self.fields["region"].choices = [("", gettext("All regions")), *choices("region")]

    def filters(self) -> dict[str, str]:
        if not self.is_bound:
            return {"area": "", "region": ""}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"area": data.get("area") or "", "region": data.get("region") or ""}
