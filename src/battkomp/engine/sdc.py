"""Noise infusion: each contributor's answers carry a persistent, secret multiplicative noise.

The method of the US Census Bureau's County Business Patterns since 2007 (Evans, Zayatz and
Slanta 1998, "Using noise for disclosure limitation of establishment tabular data", Journal of
Official Statistics 14(4)). Each contributor (an organisation) gets a factor ``f`` drawn once from
``[1 − b, 1 − a] ∪ [1 + a, 1 + b]`` (``0 < a < b < 1``, :class:`NoiseParameters`): ``f`` is a keyed
hash (HMAC-SHA256) of the secret key and the contributor's id, so it is the same in every release
and every table, and unknown without the key. Every answer of the contributor (new hires, total
staff, every year) is multiplied by it BEFORE the model runs for publication, so every table the
answers flow into is a function of noised answers only.

The guarantee (see docs/model.md, "Noise infusion"): any quantity made only of one contributor's
answers (a cell, a margin, a yearly or cumulative total, the difference between two releases, a
ratio of a model result) is published at ``f`` times its true value, so it is off by at least
``a``; with ``a`` above the p% rule's ``p``, no outsider's estimate built from the releases alone
is within ``p`` per cent. A cell of several contributors is noised by the weighted mix of their
factors, which can cancel: :func:`insufficient_noise` finds the sensitive cells where it does, and
only those need suppression.

>>> key = b"example key"
>>> f = noise_factor(key, "org-1")
>>> 0.11 <= abs(f - 1) <= 0.20
True
>>> f == noise_factor(key, "org-1") != noise_factor(b"another key", "org-1")
True
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from battkomp.engine.disclosure import (
    DisclosureRules,
    Hierarchy,
    _suppress,
    primary_unsafe,
    tabulate,
)

__all__ = [
    "CANDIDATES",
    "QUALITY_FLAGS",
    "NoiseParameters",
    "NoisedRules",
    "factors",
    "insufficient",
    "insufficient_noise",
    "key_fingerprint",
    "noise_factor",
    "perturb",
    "protect_noised",
    "quality_flags",
    "unsafe_cells",
]

#: The quality flags of a published cell by the share of it that is noise, as County Business
#: Patterns flags them: G below 2 %, H from 2 % to below 5 %, J 5 % or more.
QUALITY_FLAGS: tuple[tuple[str, float], ...] = (("G", 0.02), ("H", 0.05), ("J", np.inf))

_DOMAIN = b"battkomp-sdc-noise-v1\x00"


@dataclass(frozen=True)
class NoiseParameters:
    """The support of the noise factor: ``|f − 1|`` lies in ``[low, high]``.

    ``low`` must exceed the p% rule's ``p / 100`` for the guarantee to cover it
    (:meth:`covers`).

    >>> NoiseParameters()
    NoiseParameters(low=0.11, high=0.2)
    >>> NoiseParameters(low=0.3, high=0.2)
    Traceback (most recent call last):
    ...
    ValueError: the noise needs 0 < low < high < 1, got low=0.3, high=0.2
    """

    low: float = 0.11
    high: float = 0.20

    def __post_init__(self) -> None:
        if not 0.0 < self.low < self.high < 1.0:
            msg = f"the noise needs 0 < low < high < 1, got low={self.low}, high={self.high}"
            raise ValueError(msg)

    def covers(self, rules: DisclosureRules) -> bool:
        """True when every single contributor's noise exceeds the p% rule's ``p``."""
        return self.low > rules.p / 100.0


@dataclass(frozen=True)
class NoisedRules(DisclosureRules):
    """The disclosure rules of a table made from noised answers: the thresholds, plus each
    contributor's noise factor (``noise``: contributor → factor). A cell then needs suppression
    only where the rules make it sensitive AND its noise does not protect it
    (:func:`insufficient_noise`); see :func:`unsafe_cells`.

    >>> NoisedRules(noise={"a": 1.15}).p
    10.0
    """

    noise: Mapping[str, float] = field(default_factory=dict)


def key_fingerprint(key: bytes) -> str:
    """A short, non-secret name of a key: which key noised a run, without revealing it.

    >>> len(key_fingerprint(b"k"))
    16
    """
    return hmac.new(key, b"battkomp-sdc-fingerprint", hashlib.sha256).hexdigest()[:16]


#: How many keyed draws of the magnitude of its factor a contributor has to choose from (balanced
#: noise, :mod:`battkomp.engine.balance`); draw 0 is the plain factor.
CANDIDATES = 8


def noise_factor(
    key: bytes,
    contributor: str,
    params: NoiseParameters | None = None,
    candidate: int = 0,
) -> float:
    """The contributor's persistent noise factor under ``key``.

    The magnitude ``|f − 1|`` is uniform on ``[low, high]`` (from the first 8 bytes of
    HMAC-SHA256(key, contributor)), the direction up or down from the ninth byte. Balanced noise
    (:mod:`battkomp.engine.balance`) may take another keyed draw of the magnitude (``candidate``
    1 to :data:`CANDIDATES` − 1 hashes the contributor with the draw's number); every draw is
    uniform on the same support and the direction is always the plain one, a keyed coin toss of
    its own, so the guarantee is the same and the directions stay independent.

    >>> f = noise_factor(b"k", "org-1")
    >>> g = noise_factor(b"k", "org-1", candidate=3)
    >>> (f > 1) == (g > 1) and 0.11 <= abs(g - 1) <= 0.20 and f != g
    True
    """
    if not key:
        msg = "the noise key is empty"
        raise ValueError(msg)
    if not 0 <= candidate < CANDIDATES:
        msg = f"a noise factor's draw must be 0 to {CANDIDATES - 1}, got {candidate}"
        raise ValueError(msg)
    params = params or NoiseParameters()
    message = _DOMAIN + str(contributor).encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    sign = 1.0 if digest[8] & 1 else -1.0
    if candidate:
        message += b"\x00draw-" + str(candidate).encode()
        digest = hmac.new(key, message, hashlib.sha256).digest()
    u = int.from_bytes(digest[:8], "big") / 2.0**64
    magnitude = params.low + (params.high - params.low) * u
    return 1.0 + sign * magnitude


def factors(
    key: bytes,
    contributors: Iterable[str],
    params: NoiseParameters | None = None,
    choices: Mapping[str, int] | None = None,
) -> dict[str, float]:
    """Every contributor's noise factor (see :func:`noise_factor`), with the draw ``choices``
    gives it where balanced noise chose one (:func:`battkomp.engine.balance.balance`)."""
    choices = choices or {}
    return {
        str(c): noise_factor(key, str(c), params, choices.get(str(c), 0))
        for c in sorted({str(c) for c in contributors})
    }


def perturb(
    frame: pl.DataFrame,
    key: bytes,
    columns: Sequence[str],
    *,
    contributor: str = "contributor",
    params: NoiseParameters | None = None,
) -> pl.DataFrame:
    """``frame`` with each of ``columns`` multiplied by its row's contributor's factor.

    >>> df = pl.DataFrame({"contributor": ["a", "a", "b"], "value": [10.0, 20.0, 0.0]})
    >>> out = perturb(df, b"k", ["value"])
    >>> round(out["value"][1] / out["value"][0], 12), out["value"][2]
    (2.0, 0.0)
    """
    if not frame.height:
        return frame
    table = factors(key, frame[contributor].cast(pl.Utf8).to_list(), params)
    factor = frame[contributor].cast(pl.Utf8).replace_strict(table, return_dtype=pl.Float64)
    return frame.with_columns((pl.col(c).cast(pl.Float64) * factor).alias(c) for c in columns)


# ------------------------------------------------------------------ where noise is not enough


def insufficient_noise(
    true_cells: pl.DataFrame, noised_cells: pl.DataFrame, rules: DisclosureRules | None = None
) -> pl.Series:
    """The cells (rows of :func:`~battkomp.engine.disclosure.tabulate`, of the true and of the
    noised contributions, in the same order) that the p% rule and the threshold rule make
    sensitive and whose noise does not protect them.

    The second largest contributor's best estimate of the largest is the published cell less its
    own (true) value; the p% rule asks that it miss by at least ``p`` per cent of the largest.
    Without noise it misses by the rest of the cell; with noise by
    ``noised − largest − second``, which, when the factors of the contributors point in
    opposite directions, can be small. With noise, a smaller contributor's estimate (the cell
    less its own value) can miss by less than the second's, so it is tested too, wherever the
    cell less the largest and that contributor is within ``p`` of the largest (every value it
    may have, the cell keeping only the two largest and the rest). A single contributor's cell
    always misses by ``|f − 1| ≥ low``.

    >>> c = pl.DataFrame({"contributor": ["a", "b"], "year": [1, 1], "value": [10.0, 10.0]})
    >>> h = Hierarchy(parents={"year": {}})
    >>> noised = c.with_columns(pl.Series("value", [11.5, 8.6]))  # +15 % and −14 %: cancels
    >>> insufficient_noise(tabulate(c, h), tabulate(noised, h)).to_list()
    [True, True]
    """
    rules = rules or DisclosureRules()
    sensitive = primary_unsafe(true_cells, rules).to_numpy().astype(bool)
    flags = insufficient(
        true_cells["largest"].to_numpy().astype(np.float64),
        true_cells["second"].to_numpy().astype(np.float64),
        true_cells["rest"].to_numpy().astype(np.float64),
        noised_cells["value"].to_numpy().astype(np.float64),
        rules,
    )
    return pl.Series("insufficient", sensitive & flags, dtype=pl.Boolean)


def insufficient(
    largest: np.ndarray,
    second: np.ndarray,
    rest: np.ndarray,
    published: np.ndarray,
    rules: DisclosureRules | None = None,
) -> np.ndarray:
    """The test of :func:`insufficient_noise` on arrays, for cells already known to be
    sensitive: True where a contributor's estimate of the largest (the published cell less its
    own true value) misses it by less than ``p`` per cent. ``published`` may have one more axis
    than the others (cells × noise patterns: balanced noise tries many,
    :mod:`battkomp.engine.balance`).

    >>> insufficient(np.array([10.0]), np.array([10.0]), np.array([0.0]), np.array([20.1]))
    array([ True])
    """
    rules = rules or DisclosureRules()
    if published.ndim > largest.ndim:
        largest, second, rest = largest[:, None], second[:, None], rest[:, None]
    need = rules.p / 100.0 * largest
    miss = np.abs(published - largest - second)
    weak = miss < need
    # With noise a smaller contributor can do better than the second: its estimate of the
    # largest, the cell less its own x, misses by published − largest − x, and it is a p% attacker
    # wherever the cell less the largest and x is within p of the largest (x ≥ second + rest −
    # need; x is at most the second and at most the rest). The cell does not keep the others'
    # answers, so every such x is tried: an x in that range the noise does not protect from.
    low = np.maximum(0.0, second + rest - need)
    high = np.minimum(second, rest)
    smaller = (
        (rest > 0)
        & (low <= high)
        & (published - largest - high < need)
        & (published - largest - low > -need)
    )
    return np.asarray(weak | smaller)


def unsafe_cells(
    data: pl.DataFrame,
    hierarchy: Hierarchy,
    rules: DisclosureRules | None = None,
    noise: Mapping[str, float] | None = None,
    *,
    contributor: str = "contributor",
    value: str = "value",
) -> pl.DataFrame:
    """:func:`~battkomp.engine.disclosure.tabulate` of the TRUE contributions, with ``unsafe``:
    without ``noise`` (contributor → factor) the cells the rules make unsafe
    (:func:`~battkomp.engine.disclosure.primary_unsafe`), with it only those of them whose noise
    does not protect them (:func:`insufficient_noise`), and ``noised``, the cell's value as the
    noised contributions add it up (the true value without ``noise``)."""
    cells = tabulate(data, hierarchy, contributor=contributor, value=value)
    if noise is None and isinstance(rules, NoisedRules):
        noise = rules.noise
    if noise is None:
        return cells.with_columns(
            primary_unsafe(cells, rules).alias("unsafe"), pl.col(value).alias("noised")
        )
    factor = (
        data[contributor].cast(pl.Utf8).replace_strict(dict(noise), return_dtype=pl.Float64)
        if data.height
        else pl.Series(contributor, [], dtype=pl.Float64)
    )
    noised_data = data.with_columns((pl.col(value).cast(pl.Float64) * factor).alias(value))
    noised = tabulate(noised_data, hierarchy, contributor=contributor, value=value)
    flags = insufficient_noise(cells, noised, rules)
    return cells.with_columns(flags.alias("unsafe"), noised[value].alias("noised"))


def protect_noised(
    contributions: pl.DataFrame,
    hierarchy: Hierarchy,
    noise: Mapping[str, float],
    rules: DisclosureRules | None = None,
    *,
    contributor: str = "contributor",
    value: str = "value",
) -> pl.DataFrame:
    """The noised table: every cell (margins included) at its NOISED value, suppressed only where
    the noise does not protect a sensitive cell (:func:`insufficient_noise`, ``suppression``
    ``noise``) and where that cell would otherwise be found from the published ones
    (``secondary``, as :func:`~battkomp.engine.disclosure.protect` finds them, on the noised
    values). Same columns and rows as :func:`~battkomp.engine.disclosure.protect`; publish only
    its :func:`~battkomp.engine.disclosure.public_view`.

    >>> c = pl.DataFrame({"contributor": ["a", "b", "c"], "year": [1, 1, 2],
    ...                   "value": [10.0, 10.0, 5.0]})
    >>> h = Hierarchy(parents={"year": {}})
    >>> out = protect_noised(c, h, {"a": 1.15, "b": 1.12, "c": 0.85})
    >>> [(y, round(v, 2), s) for y, v, s in out.select("year", "value", "suppressed").rows()]
    [(1, 22.7, False), (2, 4.25, False), (None, 26.95, False)]
    >>> out = protect_noised(c, h, {"a": 1.15, "b": 0.86, "c": 0.85})  # a and b cancel in 1
    >>> out.select("year", "suppressed", "suppression").rows()
    [(1, True, 'noise'), (2, True, 'secondary'), (None, False, None)]
    """
    rules = rules or DisclosureRules()
    cells = unsafe_cells(
        contributions, hierarchy, rules, noise, contributor=contributor, value=value
    )
    primary = cells["unsafe"].to_numpy().astype(bool)
    noised = cells.with_columns(pl.col("noised").alias(value))
    suppressed = _suppress(noised, hierarchy, rules, primary, value, primary_only=True)
    reason = [
        "noise" if p else "secondary" if s else None
        for p, s in zip(primary.tolist(), suppressed.tolist(), strict=True)
    ]
    return noised.select(
        *hierarchy.keys,
        pl.when(pl.Series(suppressed)).then(None).otherwise(pl.col(value)).alias(value),
        pl.Series("suppressed", suppressed, dtype=pl.Boolean),
        pl.Series("suppression", reason, dtype=pl.String),
    )


# ------------------------------------------------------------------------------ quality flags


def quality_flags(published: np.ndarray, unprotected: np.ndarray) -> list[str | None]:
    """The flag of each published cell by the share of it that is noise,
    ``|published − unprotected| / |unprotected|`` (:data:`QUALITY_FLAGS`); None where the
    published value is missing (suppressed). A cell that is zero both ways is G; one that is
    zero in only one of them is J.

    >>> quality_flags(np.array([100.0, 103.0, 120.0, 0.0, np.nan]),
    ...               np.array([100.5, 100.0, 100.0, 0.0, 5.0]))
    ['G', 'H', 'J', 'G', None]
    """
    pub = np.asarray(published, dtype=np.float64)
    raw = np.asarray(unprotected, dtype=np.float64)
    out: list[str | None] = []
    for p, u in zip(pub.tolist(), raw.tolist(), strict=True):
        if np.isnan(p):
            out.append(None)
            continue
        if np.isnan(u):
            out.append("J")
            continue
        diff = abs(p - u)
        share = 0.0 if diff == 0 else (diff / abs(u) if u != 0 else np.inf)
        out.append(next((flag for flag, below in QUALITY_FLAGS if share < below), "J"))
    return out
