"""Forms of the survey pages. The needs form works without JavaScript: existing lines plus a few
blank ones, and an "add more lines" button that re-renders with more blanks."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from django import forms
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from battkomp.core.codes import choices, codes, label
from battkomp.core.plausible import PlausibleMaximum, clean_share
from battkomp.engine.quantities import format_share
from battkomp.organisations.models import Organisation
from battkomp.survey.actions import INVITABLE_KINDS, MAX_HEADCOUNT, MAX_TEXT
from battkomp.survey.models import NeedLine, Participant, Round

#: Blank lines shown under the existing ones, and added by "add more lines".
BLANK_LINES = 3
MAX_LINES = 300


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class RoundForm(forms.ModelForm):
    class Meta:
        model = Round
        fields = [
            "name",
            "first_year",
            "last_year",
            "opens_on",
            "deadline",
            "questionnaire_version",
        ]
        widgets = {"opens_on": DateInput(), "deadline": DateInput()}


class InviteForm(forms.Form):
    organisations = forms.ModelMultipleChoiceField(
        label=_("Organisations to invite"),
        queryset=Organisation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one organisation.")},
    )

    def __init__(self, *args: Any, round_: Round, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        invited = set(round_.participants.values_list("organisation_id", flat=True))
        field = self.fields["organisations"]
        field.queryset = Organisation.objects.filter(kind__in=INVITABLE_KINDS).order_by("name")

        def name(org: Organisation) -> str:
            if org.pk in invited:
                return gettext("%(name)s (already invited)") % {"name": org.name}
            return org.name

        field.label_from_instance = name


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea, max_length=MAX_TEXT)
    areas = forms.MultipleChoiceField(
        label=_("Competence areas"), required=False, widget=forms.CheckboxSelectMultiple
    )
    round = forms.ModelChoiceField(
        label=_("Survey round (optional)"), required=False, queryset=Round.objects.all()
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["areas"].choices = choices("area")


# --- the needs form -------------------------------------------------------------------------


class GeneralForm(forms.Form):
    access_is_challenge = forms.ChoiceField(
        label=_("Is access to battery competence a challenge for you?"),
        required=False,
        choices=[("yes", _("Yes")), ("no", _("No"))],
        widget=forms.RadioSelect,
    )
    comments = forms.CharField(
        label=_("Comments"), required=False, widget=forms.Textarea, max_length=MAX_TEXT
    )

    def to_general(self) -> dict[str, Any]:
        answer = self.cleaned_data.get("access_is_challenge")
        return {
            "access_is_challenge": {"yes": True, "no": False}.get(answer or ""),
            "comments": self.cleaned_data.get("comments", ""),
        }


class ShareField(forms.CharField):
    """A share typed as a percentage (``25``, ``25 %``) or as 0–1 (``0.25``); 1–2 without ``%`` is
    refused as ambiguous: the one rule of every path (:func:`battkomp.core.plausible.clean_share`).
    """

    def to_python(self, value: Any) -> float | None:  # type: ignore[override]
        return clean_share(super().to_python(value))


class _SharedChoices:
    """A choice field whose copies share its choices list instead of deep-copying it, for a
    code list fixed while the process runs (:func:`_line_fields`): the deep copy of the choices
    was most of what copying a need line's fields cost. A copy that needs other choices gets
    them by assignment (``field.choices = ...``, which replaces the list); nothing changes the
    shared list in place."""

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        # forms.Field's copy (the widget, its attributes, the messages and the validators are
        # the copy's own), without ChoiceField's deep copy of the choices
        return forms.Field.__deepcopy__(self, memo)  # type: ignore[arg-type]


class _CodeChoiceField(_SharedChoices, forms.ChoiceField):
    pass


class _TypedCodeChoiceField(_SharedChoices, forms.TypedChoiceField):
    pass


@lru_cache(maxsize=16)
def _line_fields(language: str | None, years: tuple[int, ...]) -> dict[str, forms.Field]:
    """A need line's questions for a round's ``years``, with their labels and code lists in
    ``language`` (the active one), built once per process: none of it changes while the process
    runs (the code lists come from the engine's taxonomy, read once). Each line gets a deep copy,
    as every Django form does of its declared fields; building them took twice as long, most of
    it normalising the code lists' choices, once per line of every form."""
    fields: dict[str, forms.Field] = {}
    blank = [("", "—")]
    fields["role"] = _CodeChoiceField(
        label=_("Role"), required=False, choices=blank + choices("role")
    )
    fields["level"] = _CodeChoiceField(
        label=_("Education level"), required=False, choices=blank + choices("level")
    )
    fields["area"] = _CodeChoiceField(
        label=_("Competence area"), required=False, choices=blank + choices("area")
    )
    for year in years:
        for name, text in (
            ("new_hires", gettext("New hires needed")),
            ("total_staff", gettext("Total staff")),
        ):
            fields[f"{name}_{year}"] = forms.IntegerField(
                label=f"{text} {year}",
                required=False,
                min_value=0,
                max_value=MAX_HEADCOUNT,
                validators=[PlausibleMaximum("survey_needs", name)],
                widget=forms.NumberInput(attrs={"min": 0, "step": 1, "class": "num"}),
            )
    fields["recruit_difficulty"] = _TypedCodeChoiceField(
        label=_("How hard is the role to recruit? (1 easy – 5 very hard)"),
        required=False,
        choices=[("", "—"), *((str(i), str(i)) for i in range(1, 6))],
        coerce=int,
        empty_value=None,
    )
    fields["share_abroad"] = ShareField(
        label=_("Share expected from abroad (%)"),
        required=False,
        help_text=_("A percentage (25 or 25 %) or a share from 0 to 1 (0.25)."),
    )
    fields["critical_competences"] = forms.CharField(
        label=_("Critical competences"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    fields["comment"] = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    return fields


class NeedLineForm(forms.Form):
    """One role × education level × competence area, with a headcount per year of the round."""

    def __init__(
        self,
        *args: Any,
        years: Sequence[int],
        number: int,
        facilities: Sequence[tuple[str, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.years = list(years)
        self.number = number
        self.fields.update(copy.deepcopy(_line_fields(get_language(), tuple(self.years))))
        if facilities:
            self.add_facility_field(facilities)

    def add_facility_field(self, facilities: Sequence[tuple[str, str]]) -> None:
        """The line's facility question, last, with ``facilities`` as (code, name) choices:
        only the organisation's own facilities (and its subsidiaries'); the view passes
        organisations.access.answer_facilities_for_user, never anyone else's."""
        self.fields["facility"] = forms.ChoiceField(
            label=_("Facility"),
            required=False,
            choices=[("", gettext("The organisation as a whole")), *facilities],
            help_text=_(
                "For a planned plant, choose it: the answer then counts at the plant's "
                "probability of being built."
            ),
        )

    @property
    def year_fields(self) -> list[tuple[int, forms.BoundField, forms.BoundField]]:
        return [(y, self[f"new_hires_{y}"], self[f"total_staff_{y}"]) for y in self.years]

    def is_blank(self) -> bool:
        if not self.is_bound:
            return not any(v not in (None, "") for v in self.initial.values())
        return not any(
            str(self.data.get(self.add_prefix(name), "")).strip() for name in self.fields
        )

    def check(self, *, full: bool) -> None:
        """Add the errors that need more than one field: a line must say which role, level and
        area it is about; a submitted line needs both numbers for every year."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        required = gettext("This field is required.")
        for name in ("role", "level", "area"):
            if name not in self.errors and not data.get(name):
                self.add_error(name, required)
        if full:
            for year in self.years:
                for name in (f"new_hires_{year}", f"total_staff_{year}"):
                    if name not in self.errors and data.get(name) is None:
                        self.add_error(name, required)

    EXTRA = ("recruit_difficulty", "share_abroad", "facility", "critical_competences", "comment")

    @property
    def title(self) -> str:
        """The line's education level and competence area, as far as they are chosen."""
        names = []
        for kind in ("level", "area"):
            value = str(self[kind].value() or "")
            if value in codes(kind):
                names.append(str(label(kind, value)))
        return " · ".join(names)

    @property
    def extra_open(self) -> bool:
        """Whether the line's further questions are shown open: one is answered or has a problem."""
        errors = self.errors if self.is_bound else {}
        return any(
            name in self.fields and (name in errors or self[name].value() not in (None, ""))
            for name in self.EXTRA
        )

    @property
    def flagged(self) -> bool:
        """Whether the line has a problem that keeps it out of the stored answers (a repeat, a
        missing role, level or area, or a value of the wrong type): it is kept in the draft and
        blocks submitting, not saving."""
        return bool(self.errors)

    @property
    def missing_years(self) -> list[int]:
        """The years without both numbers (a gap: saved as it is, but blocks submitting)."""
        data = getattr(self, "cleaned_data", None)
        if data is None:
            data = {k: v for k, v in self.initial.items() if v not in ("", None)}
        errors = self.errors if self.is_bound else {}
        return [
            y
            for y in self.years
            if any(
                f"{n}_{y}" not in errors and data.get(f"{n}_{y}") is None
                for n in ("new_hires", "total_staff")
            )
        ]

    def raw(self) -> dict[str, str]:
        """What was typed in the line, field by field (non-blank values only): the draft keeps a
        flagged line exactly as it was typed."""
        out = {}
        for name in self.fields:
            value = str(self.data.get(self.add_prefix(name), "") or "").strip()
            if value:
                out[name] = value
        return out

    def key(self) -> tuple[str, str, str] | None:
        data = getattr(self, "cleaned_data", {})
        if all(data.get(n) for n in ("role", "level", "area")):
            return (data["role"], data["level"], data["area"])
        return None

    def to_lines(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        share = data.get("share_abroad")
        common = {
            "line": self.number,
            "role": data["role"],
            "level": data["level"],
            "area": data["area"],
            "recruit_difficulty": data.get("recruit_difficulty"),
            "share_abroad": None if share is None else round(float(share), 6),
            "critical_competences": data.get("critical_competences", ""),
            "comment": data.get("comment", ""),
            "facility": data.get("facility") or None,
        }
        return [
            {
                **common,
                "year": year,
                "new_hires": data.get(f"new_hires_{year}"),
                "total_staff": data.get(f"total_staff_{year}"),
            }
            for year in self.years
        ]


def lines_initial(lines: Sequence[NeedLine] | Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Stored need lines (one per year) grouped back into form lines, in the order saved."""
    grouped: dict[tuple[str, str, str], dict[str, Any]] = {}
    for line in lines:
        if isinstance(line, Mapping):
            get = line.get
        else:

            def get(name: str, _l: NeedLine = line) -> Any:
                if name == "facility":  # by its code, as the form and the snapshots name it
                    return _l.facility.code if _l.facility is not None else None
                return getattr(_l, name)

        key = (get("role"), get("level"), get("area"))
        entry = grouped.get(key)
        if entry is None:
            entry = grouped[key] = {
                "role": key[0],
                "level": key[1],
                "area": key[2],
                "recruit_difficulty": get("recruit_difficulty"),
                "share_abroad": format_share(get("share_abroad")),
                "critical_competences": get("critical_competences") or "",
                "comment": get("comment") or "",
                "facility": get("facility") or "",
            }
        entry[f"new_hires_{get('year')}"] = get("new_hires")
        entry[f"total_staff_{get('year')}"] = get("total_staff")
    return list(grouped.values())


#: (code, name) choices of a line's facility, or what reads them when they are needed.
FacilityChoices = Sequence[tuple[str, str]] | Callable[[], Sequence[tuple[str, str]]]


class NeedsForm:
    """The whole needs form: general questions plus any number of need lines.

    ``facilities``: the choices of each line's facility, or a function that reads them (two
    queries). A bound form calls it only when a line names a facility (the choices check it)
    or when the form is shown again (:meth:`sections`): a save whose lines name none, the usual
    case, does not read them. A line's blank facility means the organisation as a whole either
    way, so the outcome of a save is the same with the question as without it."""

    def __init__(
        self,
        participant: Participant,
        data: Mapping[str, Any] | None = None,
        *,
        general: Mapping[str, Any] | None = None,
        lines: Sequence[Mapping[str, Any]] = (),
        facilities: FacilityChoices = (),
    ) -> None:
        self.years = participant.round.years
        self._facility_source = facilities
        # (code, name): the choices of each line's facility; None until read
        self.facilities: list[tuple[str, str]] | None = None
        self.top_errors: list[tuple[str, str]] = []  # (message, id of the field it is about)
        self.is_bound = data is not None
        # The revision the form was filled in from; a save names it, and is refused when someone
        # saved in between (no lost updates). None from a form without it: not checked.
        self.based_on: int | None = None
        # What someone else changed since ``based_on``, when a save was refused as stale.
        self.stale_message = ""
        self.stale_changes: list[str] = []
        # Whether the last check was for submitting (problems block) or saving (flagged only).
        self.checked_full = False
        if data is not None:
            raw = str(data.get("based_on", "")).strip()
            self.based_on = int(raw) if raw.isdigit() and len(raw) < 10 else None
            try:
                count = int(data.get("line_count", 0))
            except (TypeError, ValueError):
                count = 0
            if data.get("action") == "add_lines":
                count += BLANK_LINES
            count = max(0, min(count, MAX_LINES))
            if any(str(data.get(f"line-{i}-facility") or "").strip() for i in range(count)):
                self._read_facilities()
            self.general = GeneralForm(data)
            self.lines = [self._line(i, data=data) for i in range(count)]
        else:
            self._read_facilities()
            initial = dict(general or {})
            answer = initial.get("access_is_challenge")
            initial["access_is_challenge"] = {True: "yes", False: "no"}.get(answer, "")
            self.general = GeneralForm(initial=initial)
            self.lines = [self._line(i, initial=entry) for i, entry in enumerate(lines)]
            self.lines += [self._line(len(self.lines) + i) for i in range(BLANK_LINES)]

    def _read_facilities(self) -> list[tuple[str, str]]:
        if self.facilities is None:
            source = self._facility_source
            self.facilities = list(source() if callable(source) else source)
        return self.facilities

    def _line(self, index: int, **kwargs: Any) -> NeedLineForm:
        return NeedLineForm(
            years=self.years,
            number=index + 1,
            prefix=f"line-{index}",
            facilities=self.facilities or (),
            **kwargs,
        )

    @property
    def line_count(self) -> int:
        return len(self.lines)

    def filled_lines(self) -> list[NeedLineForm]:
        return [line for line in self.lines if not line.is_blank()]

    def flagged_lines(self) -> list[NeedLineForm]:
        """The filled lines with a problem (after :meth:`is_valid`)."""
        return [line for line in self.filled_lines() if line.flagged]

    def draft(self) -> list[dict[str, str]] | None:
        """Every filled line as typed, when any of them is flagged (None when all are clean: the
        stored lines are then the whole answer). Saved with the revision, so a draft with a
        repeated or unfinished line is never lost; see :meth:`from_draft`."""
        if not self.flagged_lines():
            return None
        return [line.raw() for line in self.filled_lines()]

    @classmethod
    def from_draft(
        cls,
        participant: Participant,
        draft: Sequence[Mapping[str, Any]],
        *,
        general: Mapping[str, Any] | None = None,
        facilities: Sequence[tuple[str, str]] = (),
    ) -> NeedsForm:
        """The form as it was saved with flagged lines (a bound form: its problems show again
        after :meth:`is_valid`), plus blank lines to add more."""
        answer = (general or {}).get("access_is_challenge")
        data: dict[str, Any] = {
            "access_is_challenge": {True: "yes", False: "no"}.get(answer, ""),
            "comments": (general or {}).get("comments") or "",
            "line_count": min(len(draft) + BLANK_LINES, MAX_LINES),
        }
        for index, line in enumerate(draft[:MAX_LINES]):
            for name, value in line.items():
                data[f"line-{index}-{name}"] = value
        return cls(participant, data, facilities=facilities)

    def sections(self) -> list[dict[str, Any]]:
        """The lines grouped by role (in the code list's order), for sections that can be
        collapsed; the lines without a role (new, blank ones) come last. A section is open when
        a line in it is flagged, or when it is the only one with lines. The lines are shown, so
        they get their facility question now if it was not needed before (a save that is shown
        again: the lines named no facility, so the question was left out of checking them)."""
        if self.facilities is None:
            facilities = self._read_facilities()
            if facilities:
                for line in self.lines:
                    line.add_facility_field(facilities)
        names = dict(choices("role"))
        by_role: dict[str, list[NeedLineForm]] = {}
        for line in self.lines:
            role = str(line["role"].value() or "")
            by_role.setdefault(role if role in names else "", []).append(line)
        sections = []
        for code, name in [*names.items(), ("", gettext("New lines"))]:
            lines = by_role.get(code)
            if not lines:
                continue
            filled = [line for line in lines if not line.is_blank()]
            sections.append(
                {
                    "code": code,
                    "name": name,
                    "lines": lines,
                    "count": len(filled),
                    "flagged": sum(1 for line in filled if line.is_bound and line.flagged),
                    "missing": sum(1 for line in filled if line.missing_years),
                    "open": code == "",
                }
            )
        with_roles = [s for s in sections if s["code"]]
        for section in with_roles:
            section["open"] = section["open"] or section["flagged"] > 0 or len(with_roles) == 1
        return sections

    def is_valid(self, *, full: bool) -> bool:
        """Partial (``full=False``, saving a draft): only the general questions can fail; a line
        with a problem (wrong type or range, no role, level or area, a repeat) is flagged, and
        :meth:`top_errors` lists it, but saving goes on: the flagged lines are kept in the draft,
        the clean ones stored. Full (submitting): every problem fails, and every number of every
        line and at least one line are needed."""
        self.checked_full = full
        ok = self.general.is_valid()
        for name, errors in self.general.errors.items():
            for error in errors:
                self.top_errors.append(
                    (f"{self.general.fields[name].label}: {error}", self.general[name].id_for_label)
                )
        filled = self.filled_lines()
        if full and not filled:
            self.top_errors.append(
                (
                    gettext("There are no need lines. Add at least one line before submitting."),
                    "line-1",
                )
            )
            ok = False
        seen: dict[tuple[str, str, str], int] = {}
        for line in filled:
            line.is_valid()
            line.check(full=full)
            key = line.key()
            if key is not None:
                if key in seen:
                    message = gettext(
                        "Repeats line %(other)d: each role, education level and competence area "
                        "combination can appear only once."
                    ) % {"other": seen[key]}
                    line.add_error(None, message)
                else:
                    seen[key] = line.number
            for name, errors in line.errors.items():
                target = line[name].id_for_label if name in line.fields else f"line-{line.number}"
                field_label = line.fields[name].label if name in line.fields else ""
                for error in errors:
                    self.top_errors.append(
                        (
                            gettext("Line %(line)d, %(field)s: %(error)s")
                            % {"line": line.number, "field": field_label, "error": error}
                            if field_label
                            else gettext("Line %(line)d: %(error)s")
                            % {"line": line.number, "error": error},
                            target,
                        )
                    )
            if line.errors and full:
                ok = False
        return ok

    def mark_stale(self, message: str, changes: Sequence[str], current: int) -> None:
        """Someone saved since this form's revision: say what changed, and base the form on the
        stored revision, so saving again replaces it deliberately."""
        self.stale_message = message
        self.stale_changes = list(changes)
        self.based_on = current

    def add_errors(self, messages: Sequence[str]) -> None:
        self.top_errors.extend((m, "") for m in messages)

    def to_lines(self) -> list[dict[str, Any]]:
        """The clean lines, one row per year (a flagged line is left out: see :meth:`draft`)."""
        return [row for line in self.filled_lines() if not line.flagged for row in line.to_lines()]

    def to_general(self) -> dict[str, Any]:
        return self.general.to_general()
