"""Forms of the accounts pages. Rules that also bind the API and commands live in actions.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from battkomp.accounts.actions import invitable_roles, validate_invitation
from battkomp.core.users import Role, UserLike
from battkomp.organisations.models import Organisation


class LoginForm(forms.Form):
    # A CharField, not an EmailField: accounts made with createsuperuser may have plain names.
    email = forms.CharField(
        label=_("E-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    role = forms.ChoiceField(label=_("Role"))
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.order_by("name"),
        required=False,
        empty_label=_("— none (secretariat and back office) —"),
        help_text=_(
            "Company respondents belong to a company, institution editors to an "
            "education institution; analysts and inquiry handlers to none."
        ),
    )
    language = forms.ChoiceField(
        label=_("Language of the invitation e-mail"), choices=settings.LANGUAGES
    )

    def __init__(self, *args: Any, inviter: UserLike, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.inviter = inviter
        self.fields["role"].choices = [(r, Role(r).label) for r in invitable_roles(inviter)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if {"email", "role"} <= data.keys():
            try:
                validate_invitation(
                    self.inviter, data["email"], data["role"], data.get("organisation")
                )
            except ValidationError as exc:
                self.add_error(None, exc)
        return data


class AcceptInvitationForm(forms.Form):
    name = forms.CharField(
        label=_("Your name"),
        max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not a common password and not only digits."),
    )
    password2 = forms.CharField(
        label=_("Repeat the password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    language = forms.ChoiceField(label=_("Preferred language"), choices=settings.LANGUAGES)

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError(_("Write your name."))
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        return data


class SettingsForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    language = forms.ChoiceField(label=_("Preferred language"), choices=settings.LANGUAGES)
