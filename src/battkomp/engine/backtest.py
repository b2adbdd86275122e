"""Backtest: a past vintage of the pipeline, run with the shipped status defaults, held against
what happened.

A **vintage** is an ordinary bundle that describes the pipeline as publicly known at a past date
(its statuses, plans and announced figures, with sources from that time), with the facilities'
risk columns left blank so that the shipped ``facility_status`` defaults apply. Those defaults are
estimated from plants outside Norway (docs/model.md §2.7), so a Norwegian vintage is out of sample.
The **outcomes** table says what happened later: ``year``, ``facility`` (blank for a whole
segment), ``segment``, ``measure`` (``capacity`` in GWh or GWh-eq, or ``staff``), ``value`` and
``source``.

The vintage's Monte Carlo draws (the same sampler as ``run_model``, common shock included) give,
per draw, each facility's capacity in place and direct jobs in every year, summed to segments for
segment outcomes. The table holds the forecast's P10, P50, P90 and mean beside the outcome, the
outcome's percentile rank among the draws, and whether it falls inside the P10–P90 band.

>>> result = run_backtest(draws=500, seed=1)
>>> sorted(result.table.columns)[:3]
['draws_at_or_below', 'facility', 'inside_band']
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from battkomp.engine.bundle import BundleError, load_inputs
from battkomp.engine.model import compile_inputs
from battkomp.engine.montecarlo import BLOCK_SIZE, sample_draws
from battkomp.engine.problems import Location, Problem

VINTAGES_DIR = Path(__file__).parent / "vintages"
#: The Norwegian pipeline as known in October 2021, when BattKOMP's first phase was published.
NORWAY_2021 = VINTAGES_DIR / "norway_2021_10"
NORWAY_OUTCOMES = VINTAGES_DIR / "norway_outcomes.csv"
MEASURES = ("capacity", "staff")
_OUTCOME_COLUMNS = ("year", "facility", "segment", "measure", "value", "source")


@dataclass(frozen=True)
class BacktestResult:
    """The forecast-against-outcome table and the run's metadata."""

    table: pl.DataFrame
    meta: dict[str, object]
    #: the vintage's facilities by code: their names as the bundle gives them
    facility_names: dict[str, str] = field(default_factory=dict)

    def inside_share(self, year: int | None = None) -> float:
        """Share of the outcomes (of one year) that fall inside the forecast's P10–P90 band."""
        t = self.table if year is None else self.table.filter(pl.col("year") == year)
        return float(t["inside_band"].mean()) if t.height else float("nan")  # type: ignore[arg-type]


def read_outcomes(path: Path) -> pl.DataFrame:
    """The outcomes table, checked: every problem names the file, row and column."""
    problems: list[Problem] = []
    rows: list[dict[str, object]] = []
    label = path.name
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            for col in _OUTCOME_COLUMNS:
                if col not in header:
                    problems.append(Problem("missing_column", Location(label), {"column": col}))
            if problems:
                raise BundleError(problems)
            for number, raw in enumerate(reader, start=2):

                def where(column: str, n: int = number) -> Location:
                    return Location(label, row=n, column=column)

                row: dict[str, object] = {}
                try:
                    row["year"] = int(str(raw["year"]).strip())
                except ValueError:
                    problems.append(
                        Problem("not_an_integer", where("year"), {"value": raw["year"]})
                    )
                measure = str(raw["measure"] or "").strip()
                if measure not in MEASURES:
                    problems.append(
                        Problem(
                            "not_a_choice",
                            where("measure"),
                            {"value": measure, "choices": ", ".join(MEASURES)},
                        )
                    )
                try:
                    value = float(str(raw["value"]).strip())
                    if value < 0:
                        problems.append(Problem("negative", where("value"), {"value": value}))
                    row["value"] = value
                except ValueError:
                    problems.append(
                        Problem("not_a_number", where("value"), {"value": raw["value"]})
                    )
                segment = str(raw["segment"] or "").strip()
                if not segment:
                    problems.append(Problem("blank_required", where("segment")))
                row.update(
                    facility=str(raw["facility"] or "").strip() or None,
                    segment=segment,
                    measure=measure,
                    source=str(raw["source"] or "").strip(),
                )
                rows.append(row)
    except OSError as exc:
        raise BundleError(
            [Problem("unreadable_file", Location(label), {"reason": exc.strerror or str(exc)})]
        ) from exc
    if problems:
        raise BundleError(problems)
    schema = {
        "year": pl.Int64,
        "facility": pl.Utf8,
        "segment": pl.Utf8,
        "measure": pl.Utf8,
        "value": pl.Float64,
        "source": pl.Utf8,
    }
    return pl.DataFrame(rows, schema=schema, orient="row").select(list(schema))


def run_backtest(
    vintage: Path | str | None = None,
    outcomes: Path | str | None = None,
    *,
    draws: int = 2000,
    seed: int = 0,
) -> BacktestResult:
    """Run a vintage bundle (default: Norway, October 2021) and hold its forecast against the
    outcomes (default: the shipped Norwegian outcomes of 2024 and 2025)."""
    if draws < 1:
        msg = "draws must be at least 1"
        raise ValueError(msg)
    vpath = Path(vintage) if vintage is not None else NORWAY_2021
    opath = Path(outcomes) if outcomes is not None else NORWAY_OUTCOMES
    inputs = load_inputs(vpath)
    cm = compile_inputs(inputs)
    out = read_outcomes(opath)
    years = [int(y) for y in cm.years]
    problems = []
    for i, r in enumerate(out.iter_rows(named=True), start=2):
        loc = Location(opath.name, row=i)
        if r["facility"] is not None and r["facility"] not in cm.facility_ids:
            problems.append(
                Problem(
                    "unknown_code",
                    Location(opath.name, row=i, column="facility"),
                    {"value": r["facility"], "table": "facilities"},
                )
            )
        if r["segment"] not in cm.tax.segments:
            problems.append(
                Problem(
                    "unknown_code",
                    Location(opath.name, row=i, column="segment"),
                    {"value": r["segment"], "table": "segments"},
                )
            )
        if r["year"] not in years:
            problems.append(
                Problem(
                    "year_out_of_range",
                    Location(loc.file, row=i, column="year"),
                    {"value": r["year"], "minimum": years[0], "maximum": years[-1]},
                )
            )
    if problems:
        raise BundleError(problems)

    F, T = len(cm.facility_ids), len(years)
    capacity = np.empty((draws, F, T))
    staff = np.empty((draws, F, T))
    for b in range((draws + BLOCK_SIZE - 1) // BLOCK_SIZE):
        n = min(BLOCK_SIZE, draws - b * BLOCK_SIZE)
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(0, b))))
        dr, _ = sample_draws(cm, n, rng)
        assert dr.facility_capacity is not None
        rows = slice(b * BLOCK_SIZE, b * BLOCK_SIZE + n)
        capacity[rows] = dr.facility_capacity[:, :, 1:]
        staff[rows] = dr.facility_jobs[:, :, 1:]

    records = []
    for r in out.iter_rows(named=True):
        t = years.index(int(r["year"]))
        arr = capacity if r["measure"] == "capacity" else staff
        if r["facility"] is not None:
            x = arr[:, cm.facility_ids.index(r["facility"]), t]
        else:
            seg = cm.tax.segments.index(r["segment"])
            x = arr[:, cm.fac_segment == seg, t].sum(axis=1)
        p10, p50, p90 = (float(v) for v in np.percentile(x, [10, 50, 90]))
        value = float(r["value"])
        records.append(
            {
                "year": int(r["year"]),
                "facility": r["facility"],
                "segment": r["segment"],
                "measure": r["measure"],
                "outcome": value,
                "p10": p10,
                "p50": p50,
                "p90": p90,
                "mean": float(x.mean()),
                "draws_at_or_below": float((x <= value + 1e-9).mean()),
                "inside_band": bool(p10 - 1e-9 <= value <= p90 + 1e-9),
                "source": r["source"],
            }
        )
    table = pl.DataFrame(
        records,
        schema={
            "year": pl.Int64,
            "facility": pl.Utf8,
            "segment": pl.Utf8,
            "measure": pl.Utf8,
            "outcome": pl.Float64,
            "p10": pl.Float64,
            "p50": pl.Float64,
            "p90": pl.Float64,
            "mean": pl.Float64,
            "draws_at_or_below": pl.Float64,
            "inside_band": pl.Boolean,
            "source": pl.Utf8,
        },
        orient="row",
    )
    announced = float(
        sum(
            float(cm.capacity[f, 0, -1, :].max())
            for f in range(F)
            if cm.tax.segments[int(cm.fac_segment[f])] == "cell_manufacturing"
        )
    )
    meta: dict[str, object] = {
        "vintage": vpath.name,
        "outcomes": opath.name,
        "input_hash": cm.input_hash,
        "draws": draws,
        "seed": seed,
        "base_year": years[0],
        "end_year": years[-1],
        "announced_cell_capacity": announced,
    }
    # each facility's name in the vintage bundle, for readers (the table keeps the codes)
    names = {str(i): str(n or i) for i, n in inputs["facilities"].select("id", "name").rows()}
    return BacktestResult(table, meta, names)
