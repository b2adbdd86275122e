"""Survey pages: analysts run rounds; respondents answer the needs form.

Every read of a participant or round goes through :mod:`battkomp.survey.access`; an outsider gets
404 and an anonymous visitor is sent to the login page.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from battkomp.accounts.actions import log_access
from battkomp.core.codes import label
from battkomp.core.users import Role, is_analyst, require_analyst, role_of
from battkomp.organisations.access import answer_facilities_for_user
from battkomp.organisations.models import Organisation
from battkomp.survey import actions
from battkomp.survey.access import (
    access_participant_for_user,
    access_round_for_user,
    can_edit_response,
    notes_for_user,
    participants_for_user,
)
from battkomp.survey.forms import InviteForm, NeedsForm, NoteForm, RoundForm, lines_initial
from battkomp.survey.models import (
    ParticipantStatus,
    Response,
    Revision,
    RevisionKind,
    Round,
    RoundStatus,
)
from battkomp.survey.stats import round_statistics


def with_unsent_changes(participants: Any) -> Any:
    """``participants`` annotated with ``latest_kind``, the kind of their latest revision: a
    participant that has submitted but whose latest revision is a save or an import has changes
    not yet submitted (its status stays "submitted": that is what was handed in)."""
    latest = Revision.objects.filter(response__participant=OuterRef("pk")).order_by("-number")
    return participants.annotate(latest_kind=Subquery(latest.values("kind")[:1]))


# --- analysts: rounds -----------------------------------------------------------------------


@login_required
def rounds(request: HttpRequest) -> HttpResponse:
    require_analyst(request.user)
    all_rounds = Round.objects.annotate(
        invited=Count("participants"),
        submitted=Count("participants", filter=Q(participants__status=ParticipantStatus.SUBMITTED)),
    )
    return render(request, "survey/rounds.html", {"rounds": all_rounds})


@login_required
def round_new(request: HttpRequest) -> HttpResponse:
    require_analyst(request.user)
    form = RoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            round_ = actions.do_create_round(request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("The round is created as a draft. Invite organisations, then open it.")
            )
            return redirect("survey:round_detail", round_.pk)
    return render(request, "survey/round_form.html", {"form": form})


def _status_rows(round_: Any) -> list[dict[str, Any]]:
    counts = Counter(round_.participants.values_list("status", flat=True))
    return [
        {"code": code, "name": name, "count": counts.get(code, 0)}
        for code, name in ParticipantStatus.choices
    ]


@login_required
def round_detail(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = access_round_for_user(request.user, round_id)
    participants = with_unsent_changes(
        round_.participants.select_related("organisation").order_by("organisation__name")
    )
    return render(
        request,
        "survey/round_detail.html",
        {
            "round": round_,
            "participants": participants,
            "status_counts": _status_rows(round_),
            "stats": round_statistics(round_),
            "notes": _notes_with_labels(notes_for_user(request.user).filter(round=round_)),
        },
    )


@login_required
def round_stats(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = access_round_for_user(request.user, round_id)
    return render(
        request,
        "survey/round_stats.html",
        {
            "round": round_,
            "stats": round_statistics(round_),
            "status_counts": _status_rows(round_),
        },
    )


@login_required
def round_invite(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = access_round_for_user(request.user, round_id)
    if round_.status == RoundStatus.CLOSED:
        messages.error(request, _("The round is closed: no more organisations can be invited."))
        return redirect("survey:round_detail", round_.pk)
    form = InviteForm(request.POST or None, round_=round_)
    if request.method == "POST" and form.is_valid():
        orgs = list(form.cleaned_data["organisations"])
        try:
            created = actions.do_invite_organisations(round_, orgs, request.user)
        except (ValidationError, PermissionError) as error:
            form.add_error(None, "; ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(
                request,
                _("%(created)d organisations invited; %(already)d were invited already.")
                % {"created": len(created), "already": len(orgs) - len(created)},
            )
            return redirect("survey:round_detail", round_.pk)
    return render(request, "survey/round_invite.html", {"round": round_, "form": form})


@login_required
@require_POST
def round_open(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = access_round_for_user(request.user, round_id)
    actions.do_open_round(round_, request.user)
    messages.success(request, _("The round is open: invited organisations can answer."))
    return redirect("survey:round_detail", round_.pk)


@login_required
@require_POST
def round_close(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = access_round_for_user(request.user, round_id)
    try:
        actions.do_close_round(round_, request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The round is closed: answers are now read-only."))
    return redirect("survey:round_detail", round_.pk)


# --- analysts: interview notes --------------------------------------------------------------


def _notes_with_labels(notes: Any) -> list[Any]:
    notes = list(notes)
    for note in notes:
        note.area_labels = [label("area", a) for a in note.areas]
    return notes


@login_required
def note_new(request: HttpRequest, organisation_id: int) -> HttpResponse:
    require_analyst(request.user)
    organisation = get_object_or_404(Organisation, pk=organisation_id)
    initial = {}
    round_param = request.GET.get("round", "")
    if round_param.isdigit():
        initial["round"] = round_param
    form = NoteForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            note = actions.do_record_note(
                organisation,
                request.user,
                text=data["text"],
                areas=data["areas"],
                round_=data["round"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The note is saved."))
            if note.round_id:
                return redirect("survey:round_detail", note.round_id)
            return redirect("survey:organisation_notes", organisation.pk)
    return render(request, "survey/note_form.html", {"organisation": organisation, "form": form})


@login_required
def organisation_notes(request: HttpRequest, organisation_id: int) -> HttpResponse:
    notes = notes_for_user(request.user)
    organisation = get_object_or_404(Organisation, pk=organisation_id)
    participations = organisation.participations.select_related("round").order_by(
        "-round__opens_on"
    )
    return render(
        request,
        "survey/organisation_notes.html",
        {
            "organisation": organisation,
            "notes": _notes_with_labels(notes.filter(organisation=organisation)),
            "participations": participations,
        },
    )


# --- respondents ----------------------------------------------------------------------------


@login_required
def my_rounds(request: HttpRequest) -> HttpResponse:
    if is_analyst(request.user):
        return redirect("survey:rounds")
    if role_of(request.user) != Role.RESPONDENT:
        raise Http404
    participants = with_unsent_changes(
        participants_for_user(request.user).order_by("-round__opens_on", "-round_id")
    )
    return render(request, "survey/my_rounds.html", {"participants": participants})


def facility_choices(request: HttpRequest, participant: Any) -> list[tuple[str, str]]:
    """The facilities a need line of ``participant``'s answer may name, as (code, name) choices:
    only those this person may see for the participant's organisation (its own and its
    subsidiaries'), never another organisation's."""
    found = answer_facilities_for_user(request.user, participant.organisation)
    return [(f.code, f"{f.name} ({f.code})") for f in found]


def _display_lines(
    entries: list[dict[str, Any]], years: list[int], facilities: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    names = facilities or {}
    rows = []
    for number, entry in enumerate(entries, start=1):
        rows.append(
            {
                "number": number,
                "role": label("role", entry["role"]),
                "level": label("level", entry["level"]),
                "area": label("area", entry["area"]),
                "years": [
                    (y, entry.get(f"new_hires_{y}"), entry.get(f"total_staff_{y}")) for y in years
                ],
                "recruit_difficulty": entry["recruit_difficulty"],
                "share_abroad": entry["share_abroad"],
                "critical_competences": entry["critical_competences"],
                "comment": entry["comment"],
                "facility": names.get(entry["facility"], entry["facility"]),
            }
        )
    return rows


def _answers(participant: Any) -> Response | None:
    return Response.objects.filter(participant=participant).first()


@login_required
def response(request: HttpRequest, participant_id: int) -> HttpResponse:
    participant = access_participant_for_user(request.user, participant_id)
    round_ = participant.round
    editable = can_edit_response(request.user, participant)

    if request.method == "POST":
        if not editable:
            if round_.status == RoundStatus.CLOSED:
                messages.error(
                    request, _("The round is closed: the answers can no longer be changed.")
                )
            elif round_.status == RoundStatus.DRAFT:
                messages.error(request, _("The round is not open yet."))
            else:
                messages.error(
                    request, _("Only the organisation's respondents can change its answers.")
                )
            return redirect("survey:response", participant.pk)
        form = NeedsForm(
            participant, request.POST, facilities=lambda: facility_choices(request, participant)
        )
        action = request.POST.get("action", "save")
        if action in {"save", "submit"} and form.is_valid(full=action == "submit"):
            # Saving never stops at a line's problem: the flagged lines go into the draft.
            draft = form.draft() if action == "save" else None
            try:
                if action == "submit":
                    actions.do_submit_response(
                        participant,
                        request.user,
                        lines=form.to_lines(),
                        general=form.to_general(),
                        based_on=form.based_on,
                    )
                    messages.success(
                        request,
                        _(
                            "Thank you! Your answers are submitted. You can revise and submit them "
                            "again until the round closes."
                        ),
                    )
                else:
                    actions.do_save_response(
                        participant,
                        request.user,
                        lines=form.to_lines(),
                        general=form.to_general(),
                        based_on=form.based_on,
                        draft=draft,
                    )
                    if draft:
                        messages.warning(
                            request,
                            ngettext(
                                "Your answers are saved. %(n)d line has a problem, marked below: "
                                "it is kept as you typed it, and must be fixed before you submit.",
                                "Your answers are saved. %(n)d lines have problems, marked below: "
                                "they are kept as you typed them, and must be fixed before you "
                                "submit.",
                                len(form.flagged_lines()),
                            )
                            % {"n": len(form.flagged_lines())},
                        )
                    else:
                        messages.success(
                            request,
                            _("Your answers are saved. You can come back and continue later."),
                        )
            except actions.StaleRevision as stale:
                # Someone else saved since this form was opened: nothing is written; the form
                # keeps what this person typed and shows what the other save changed.
                form.mark_stale(stale.message(), stale.changes, stale.current_number)
                return _render_response(
                    request, participant, _answers(participant), form, editable=True, status=409
                )
            except ValidationError as error:
                form.add_errors(error.messages)
            except PermissionError as error:
                messages.error(request, str(error))
                return redirect("survey:response", participant.pk)
            else:
                return redirect("survey:response", participant.pk)
        return _render_response(
            request,
            participant,
            _answers(participant),
            form,
            editable=True,
            show_errors=action != "add_lines",
        )

    answers = _answers(participant)
    if is_analyst(request.user):
        log_access(
            request.user, "view_response", participant, participant.organisation, detail=round_.name
        )
    elif editable:
        actions.do_mark_opened(participant, request.user)
    form = None
    flagged = False
    if editable:
        general = (
            {"access_is_challenge": answers.access_is_challenge, "comments": answers.comments}
            if answers
            else None
        )
        facilities = facility_choices(request, participant)
        latest = actions.latest_revision(participant)
        draft = actions.saved_draft(latest)
        if draft:
            # Saved with flagged lines: the form as it was typed, its problems marked again.
            form = NeedsForm.from_draft(participant, draft, general=general, facilities=facilities)
            form.is_valid(full=False)
            flagged = True
        else:
            form = NeedsForm(
                participant,
                general=general,
                lines=lines_initial(answers.lines.select_related("facility").order_by("id"))
                if answers
                else (),
                facilities=facilities,
            )
        form.based_on = latest.number if latest else 0
    return _render_response(
        request, participant, answers, form, editable=editable, show_errors=flagged
    )


def _render_response(
    request: HttpRequest,
    participant: Any,
    answers: Response | None,
    form: NeedsForm | None,
    *,
    editable: bool,
    show_errors: bool = False,
    status: int = 200,
) -> HttpResponse:
    round_ = participant.round
    revisions = list(answers.revisions.select_related("created_by")) if answers else []
    latest: Revision | None = revisions[0] if revisions else None
    changed_since_submit = (
        participant.status == ParticipantStatus.SUBMITTED
        and latest is not None
        and latest.kind != RevisionKind.SUBMIT
    )
    display = []
    if not editable and answers is not None:
        display = _display_lines(
            lines_initial(answers.lines.select_related("facility").order_by("id")),
            round_.years,
            dict(facility_choices(request, participant)),
        )
    return render(
        request,
        "survey/response.html",
        {
            "participant": participant,
            "round": round_,
            "answers": answers,
            "form": form,
            "editable": editable,
            "show_errors": show_errors,
            "display_lines": display,
            "revisions": revisions,
            "changed_since_submit": changed_since_submit,
            "is_analyst": is_analyst(request.user),
        },
        status=status,
    )
