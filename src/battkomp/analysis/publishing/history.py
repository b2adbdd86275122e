"""Publishing checks history: before a snapshot is stored, the attacker suite
(:mod:`battkomp.engine.attacks`) runs on it together with every earlier publication, and
publishing is refused if any organisation's answer could be recovered (docs/model.md, "Noise
infusion")."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from battkomp.analysis.models import Publication
from battkomp.analysis.publishing.noise import BASIS_FRAME
from battkomp.engine.attacks import Finding, Snapshot, attack
from battkomp.engine.disclosure import DisclosureRules

#: The label of the snapshot being published among the earlier ones.
NEW = "new"


def context_of(scenario: object, weighted: object) -> str:
    """What a publication says about the model it comes from (public in its metadata)."""
    return f"{scenario or ''}|{bool(weighted)}"


def earlier_snapshots() -> list[Snapshot]:
    """Every stored publication as an outsider downloads it, with the answers its run read.
    Publications whose run kept no answers (made before noise infusion) are left out: their
    truth is unknown."""
    out: list[Snapshot] = []
    for publication in Publication.objects.select_related("run").order_by("version"):
        try:
            basis = publication.run.frame(BASIS_FRAME)
        except KeyError:
            continue
        tables = {name: publication.table(name) for name in publication.table_names()}
        meta = publication.meta or {}
        context = context_of(meta.get("scenario"), meta.get("weighted"))
        out.append(Snapshot(f"v{publication.version}", tables, basis, context))
    return out


def findings(
    tables: Mapping[str, pl.DataFrame],
    basis: pl.DataFrame,
    parents: Mapping[str, str],
    rules: DisclosureRules | None = None,
    context: str = "",
) -> list[Finding]:
    """What the attacker suite recovers once ``tables`` (of a run in ``context``, see
    :func:`context_of`) are published next to every earlier publication (only what the new
    snapshot adds)."""
    p = (rules or DisclosureRules()).p
    snapshots = [*earlier_snapshots(), Snapshot(NEW, dict(tables), basis, context)]
    return attack(snapshots, parents, p, focus=NEW)


def check_history(
    tables: Mapping[str, pl.DataFrame],
    basis: pl.DataFrame,
    parents: Mapping[str, str],
    rules: DisclosureRules | None = None,
    context: str = "",
) -> None:
    """ValidationError (in the user's language) when publishing ``tables`` would let an outsider
    recover an organisation's answer from this and earlier publications."""
    found = findings(tables, basis, parents, rules, context)
    if not found:
        return
    organisations = len({f.contributor for f in found})
    first = found[0]
    with_ = ", ".join(s for s in first.snapshots if s != NEW) or _("this snapshot alone")
    raise ValidationError(
        ngettext(
            "Publishing refused: combined with %(with)s, this snapshot would let anyone work out "
            "the answers of %(count)s organisation (%(attack)s attack on the table %(table)s). "
            "Nothing was published.",
            "Publishing refused: combined with %(with)s, this snapshot would let anyone work out "
            "the answers of %(count)s organisations (%(attack)s attack on the table %(table)s). "
            "Nothing was published.",
            organisations,
        )
        % {"with": with_, "count": organisations, "attack": first.attack, "table": first.table},
        code="history",
    )
