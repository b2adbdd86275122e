"""Headline statistics of a round, as BattKOMP reported them (92 % said access to battery
competence was a challenge): response rate and the share saying access is a challenge, overall
and per value-chain segment. An organisation counts in each of its segments."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from battkomp.core.codes import codes, label
from battkomp.survey.models import ParticipantStatus, Response, Revision, RevisionKind, Round


@dataclass
class Headline:
    """Counts for one group of invited organisations."""

    name: str
    code: str = ""
    invited: int = 0
    submitted: int = 0
    answered: int = 0  # submitted and answered the access question
    challenge: int = 0  # ... and said yes

    @property
    def response_rate(self) -> float | None:
        """Submitted / invited; None when nobody is invited."""
        return self.submitted / self.invited if self.invited else None

    @property
    def challenge_share(self) -> float | None:
        """Share of submitted respondents answering the question who say access to competence
        is a challenge (as of their latest submission); None when nobody has answered."""
        return self.challenge / self.answered if self.answered else None

    @property
    def response_percent(self) -> float | None:
        rate = self.response_rate
        return None if rate is None else rate * 100

    @property
    def challenge_percent(self) -> float | None:
        share = self.challenge_share
        return None if share is None else share * 100

    def add(self, submitted: bool, access_is_challenge: bool | None) -> None:
        self.invited += 1
        if submitted:
            self.submitted += 1
            if access_is_challenge is not None:
                self.answered += 1
                self.challenge += int(access_is_challenge)


@dataclass
class RoundStatistics:
    overall: Headline
    segments: list[Headline] = field(default_factory=list)


def round_statistics(round_: Round) -> RoundStatistics:
    """The headline numbers of a round.

    Example: 4 invited, 3 submitted, 2 of the 3 say access is a challenge → response rate 0.75,
    challenge share 2/3.
    """
    # What each organisation said when it last submitted; the live answer may hold changes
    # saved since and not yet submitted.
    answers = dict(
        Response.objects.filter(participant__round=round_).values_list(
            "participant_id", "access_is_challenge"
        )
    )
    submitted = Revision.objects.filter(
        response__participant__round=round_, kind=RevisionKind.SUBMIT
    ).order_by("response_id", "number")
    for revision in submitted.values("response__participant_id", "snapshot"):
        general = (revision["snapshot"] or {}).get("general") or {}
        answers[revision["response__participant_id"]] = general.get("access_is_challenge")
    overall = Headline(_("All invited organisations"))
    by_segment: dict[str, Headline] = {}
    no_segment = Headline(_("No segment given"))
    for participant in round_.participants.select_related("organisation"):
        submitted = participant.status == ParticipantStatus.SUBMITTED
        answer = answers.get(participant.pk)
        overall.add(submitted, answer)
        segments = [s for s in dict.fromkeys(participant.organisation.segments or []) if s]
        if not segments:
            no_segment.add(submitted, answer)
        for segment in segments:
            by_segment.setdefault(
                segment, Headline(label("segment", segment) or segment, segment)
            ).add(submitted, answer)
    order = {code: i for i, code in enumerate(codes("segment"))}
    rows = sorted(by_segment.values(), key=lambda h: (order.get(h.code, len(order)), h.code))
    if no_segment.invited:
        rows.append(no_segment)
    return RoundStatistics(overall, rows)
