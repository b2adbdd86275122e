"""Who may see which survey objects.

Analysts and administrators see every round and every answer. A company respondent sees only
their own organisation's participations, and only once the round has been opened (a draft round
is still being prepared). Everyone else gets :class:`django.http.Http404`, never 403, so a request
cannot learn that a participant exists. Interview notes are for analysts only.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from battkomp.core.users import Role, UserLike, is_analyst, profile_of, require_analyst
from battkomp.survey.models import InterviewNote, Participant, Round, RoundStatus


def _respondent_organisation_id(user: UserLike) -> int | None:
    profile = profile_of(user)
    if profile is None or profile.role != Role.RESPONDENT or profile.organisation_id is None:
        return None
    organisation_id: int = profile.organisation_id
    return organisation_id


def participants_for_user(user: UserLike) -> QuerySet[Participant]:
    """The participations a user may see: all for analysts, their own organisation's for a
    respondent (rounds that are open or closed), none for anyone else."""
    qs = Participant.objects.select_related("round", "organisation")
    if is_analyst(user):
        return qs.all()
    org_id = _respondent_organisation_id(user)
    if org_id is None:
        return qs.none()
    return qs.filter(organisation_id=org_id).exclude(round__status=RoundStatus.DRAFT)


def access_participant_for_user(user: UserLike, participant_id: int | str) -> Participant:
    """One participation (and through it the organisation's answers), or 404."""
    try:
        return participants_for_user(user).get(pk=participant_id)
    except (Participant.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def can_edit_response(user: UserLike, participant: Participant) -> bool:
    """Only the organisation's own respondents change its answers, and only while the round is
    open. Analysts read; corrections on a company's behalf go through the importer."""
    return (
        participant.round.status == RoundStatus.OPEN
        and _respondent_organisation_id(user) == participant.organisation_id
    )


def access_round_for_user(user: UserLike, round_id: int | str) -> Round:
    """A round's management pages: analysts and administrators only."""
    require_analyst(user)
    try:
        return Round.objects.get(pk=round_id)
    except (Round.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def notes_for_user(user: UserLike) -> QuerySet[InterviewNote]:
    """Interview notes: analysts and administrators only; anyone else gets 404."""
    require_analyst(user)
    return InterviewNote.objects.select_related("organisation", "round", "author")
