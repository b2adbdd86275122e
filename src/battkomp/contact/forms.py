"""Forms of the inquiry pages. Rules that bind every caller live in actions.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from battkomp.contact.access import possible_owners
from battkomp.contact.actions import person_name, validate_rule
from battkomp.contact.models import (
    ANSWER_MAX,
    EMAIL_MAX,
    KEYWORDS_MAX,
    MESSAGE_MAX,
    NAME_MAX,
    ORGANISATION_MAX,
    RoutingRule,
    Topic,
)
from battkomp.core.codes import choices

# The honeypot's field name: a plausible one, so that form-filling bots fill it in.
HONEYPOT = "website"


def _too_long(message: Any) -> dict[str, Any]:
    return {"max_length": message}


class ContactForm(forms.Form):
    name = forms.CharField(
        label=_("Your name"),
        max_length=NAME_MAX,
        error_messages={
            "required": _("Write your name."),
            **_too_long(
                _("The name can be at most %(limit_value)d characters (it has %(show_value)d).")
            ),
        },
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=EMAIL_MAX,
        help_text=_("We answer to this address."),
        error_messages={
            "required": _("Write your e-mail address, so that we can answer."),
            "invalid": _("Write a valid e-mail address."),
            **_too_long(
                _(
                    "The e-mail address can be at most %(limit_value)d characters "
                    "(it has %(show_value)d)."
                )
            ),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    organisation = forms.CharField(
        label=_("Organisation (optional)"),
        max_length=ORGANISATION_MAX,
        required=False,
        error_messages=_too_long(
            _(
                "The organisation's name can be at most %(limit_value)d characters "
                "(it has %(show_value)d)."
            )
        ),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    topic = forms.ChoiceField(
        label=_("What is it about?"),
        choices=[("", "—"), *Topic.choices],
        error_messages={
            "required": _("Choose what the inquiry is about."),
            "invalid_choice": _("Choose a topic from the list."),
        },
    )
    segment = forms.ChoiceField(
        label=_("Part of the value chain (optional)"),
        required=False,
        error_messages={"invalid_choice": _("Choose a value-chain segment from the list.")},
    )
    region = forms.ChoiceField(
        label=_("County or country (optional)"),
        required=False,
        error_messages={"invalid_choice": _("Choose a region from the list.")},
    )
    message = forms.CharField(
        label=_("Message"),
        max_length=MESSAGE_MAX,
        error_messages={
            "required": _("Write your message."),
            **_too_long(
                _(
                    "The message can be at most %(limit_value)d characters "
                    "(it has %(show_value)d). Shorten it, or send the rest in a second inquiry."
                )
            ),
        },
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    # The honeypot: hidden from people (and screen readers) by the template; bots fill it in.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        none = [("", _("— not relevant —"))]
        self.fields["message"].help_text = _("At most %(limit)d characters.") % {
            "limit": MESSAGE_MAX
        }
        self.fields["segment"].choices = none + choices("segment")
        self.fields["region"].choices = none + choices("region")

    @property
    def visible_fields_list(self) -> list[Any]:
        return [f for f in self if f.name != HONEYPOT]

    def is_bot(self) -> bool:
        """Whether the hidden honeypot field was filled in (only bots do)."""
        return bool(self.data.get(HONEYPOT, "").strip())


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return person_name(obj)


class AssignForm(forms.Form):
    owner = OwnerChoiceField(
        label=_("Give the inquiry to"),
        queryset=possible_owners(),
        empty_label=_("— choose a person —"),
        error_messages={
            "required": _("Choose who takes the inquiry."),
            "invalid_choice": _("Choose an active inquiry handler, analyst or administrator."),
        },
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        max_length=300,
        required=False,
        error_messages=_too_long(
            _("The note can be at most %(limit_value)d characters (it has %(show_value)d).")
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # ids of its own: the close form on the same page has a "note" too (one id_note each
        # would break the labels)
        kwargs.setdefault("auto_id", "assign_%s")
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = possible_owners()


class AnswerForm(forms.Form):
    text = forms.CharField(
        label=_("Answer to the sender"),
        max_length=ANSWER_MAX,
        help_text=_("E-mailed to the sender in their language and kept with the inquiry."),
        error_messages={
            "required": _("Write the answer."),
            **_too_long(
                _("The answer can be at most %(limit_value)d characters (it has %(show_value)d).")
            ),
        },
        widget=forms.Textarea(attrs={"rows": 8}),
    )


class CloseForm(forms.Form):
    note = forms.CharField(
        label=_("Note (optional)"),
        max_length=300,
        required=False,
        error_messages=_too_long(
            _("The note can be at most %(limit_value)d characters (it has %(show_value)d).")
        ),
    )
    ids = "close_%s"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", self.ids)  # unique on the inquiry's page (see AssignForm)
        super().__init__(*args, **kwargs)


class ReopenForm(CloseForm):
    """Reopening takes the same optional note as closing (kept in the history)."""

    ids = "reopen_%s"


class RuleForm(forms.Form):
    name_nb = forms.CharField(
        label=_("Name (bokmål)"),
        max_length=200,
        required=False,
        help_text=_("Give the name in bokmål, English or both."),
        error_messages=_too_long(
            _("The name can be at most %(limit_value)d characters (it has %(show_value)d).")
        ),
    )
    name_en = forms.CharField(
        label=_("Name (English)"),
        max_length=200,
        required=False,
        error_messages=_too_long(
            _("The name can be at most %(limit_value)d characters (it has %(show_value)d).")
        ),
    )
    priority = forms.IntegerField(
        label=_("Priority"),
        min_value=0,
        max_value=1_000_000,
        initial=100,
        help_text=RoutingRule._meta.get_field("priority").help_text,
        error_messages={
            "required": _("Give the rule a priority (a whole number; lower goes first)."),
            "invalid": _("The priority is a whole number (lower goes first)."),
        },
    )
    topic = forms.ChoiceField(label=_("Topic"), required=False)
    segment = forms.ChoiceField(label=_("Value-chain segment"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    keywords = forms.CharField(
        label=_("Keywords"),
        required=False,
        max_length=KEYWORDS_MAX,
        help_text=RoutingRule._meta.get_field("keywords").help_text,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=_too_long(
            _("The keywords can be at most %(limit_value)d characters (it has %(show_value)d).")
        ),
    )
    owner = OwnerChoiceField(
        label=_("Responsible person"),
        queryset=possible_owners(),
        empty_label=_("— choose a person —"),
        error_messages={
            "required": _("Choose the responsible person."),
            "invalid_choice": _("Choose an active inquiry handler, analyst or administrator."),
        },
    )
    is_default = forms.BooleanField(
        label=_("Default rule"),
        required=False,
        help_text=RoutingRule._meta.get_field("is_default").help_text,
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, rule: RoutingRule | None = None, **kwargs: Any) -> None:
        if rule is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name_nb": rule.name_nb,
                "name_en": rule.name_en,
                "priority": rule.priority,
                "topic": rule.topic,
                "segment": rule.segment,
                "region": rule.region,
                "keywords": rule.keywords,
                "owner": rule.owner_id,
                "is_default": rule.is_default,
                "active": rule.active,
            }
        super().__init__(*args, **kwargs)
        self.rule = rule
        anything = [("", _("— any —"))]
        self.fields["owner"].queryset = possible_owners()
        self.fields["topic"].choices = anything + list(Topic.choices)
        self.fields["segment"].choices = anything + choices("segment")
        self.fields["region"].choices = anything + choices("region")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not (data.get("name_nb") or data.get("name_en")):
            self.add_error("name_nb", _("Give the rule a name."))
        check_rule(self, self.rule, data)
        return data


class TryRulesForm(forms.Form):
    """A made-up inquiry, to see which rule the table would pick for it."""

    topic = forms.ChoiceField(label=_("Topic"), choices=Topic.choices)
    segment = forms.ChoiceField(label=_("Value-chain segment"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    message = forms.CharField(
        label=_("Message"), max_length=MESSAGE_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        none = [("", _("— not relevant —"))]
        self.fields["segment"].choices = none + choices("segment")
        self.fields["region"].choices = none + choices("region")


def check_rule(form: forms.BaseForm, rule: RoutingRule | None, data: dict[str, Any]) -> None:
    """The site's rules for a routing rule (a person who can take inquiries, one default at
    most) on a form's cleaned ``data``: what breaks them becomes the form's error. Used by the
    routing table's form and the admin's."""
    if "owner" in data and not form.errors:
        try:
            validate_rule(
                rule=rule,
                topic=data.get("topic", ""),
                segment=data.get("segment", ""),
                region=data.get("region", ""),
                keywords=data.get("keywords", ""),
                owner=data["owner"],
                is_default=bool(data.get("is_default")),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
