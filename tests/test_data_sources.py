"""Values and their sources agree (issue 14, section 5): mechanical checks on the shipped rows."""

from __future__ import annotations

import csv
import re

import pytest

from battkomp.engine.bundle import DEMO_DIR
from bundlekit import default_rows


def _numbers(text: str) -> set[float]:
    """Every number written in a text, with spaces or thin spaces as thousands separators."""
    found = set()
    for m in re.finditer(r"\d[\d\u00a0\u2009 ]*(?:[.,]\d+)?", text):
        raw = m.group(0).strip().replace("\u00a0", "").replace("\u2009", "").replace(" ", "")
        raw = raw.replace(",", ".")
        try:
            found.add(float(raw))
        except ValueError:
            continue
    return found


def _demo_rows(table: str) -> list[dict[str, str]]:
    with (DEMO_DIR / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("row", default_rows("labour_intensity"), ids=lambda r: r["segment"])
def test_a_sourced_labour_intensity_states_its_own_low_mode_and_high(row: dict[str, str]) -> None:
    if row["source"].startswith("assumption"):
        pytest.skip("an assumption states its reasoning, not a cited figure")
    stated = _numbers(row["source"])
    for col in ("low", "mode", "high"):
        assert float(row[col]) in stated, (col, row[col])


@pytest.mark.parametrize("row", default_rows("exit_rates"), ids=lambda r: r["role"])
def test_the_expat_label_matches_the_expat_share(row: dict[str, str]) -> None:
    share = float(row["expat_share_startup"])
    src = row["source"]
    if share <= 0.05:
        assert "low expat share" in src
    elif share <= 0.2:
        assert "moderate expat share" in src
    else:
        assert "high expat share" in src
    assert not ("MSc/PhD" in src and share < 0.3)


def test_completion_rates_with_a_cited_figure_state_it() -> None:
    for row in default_rows("education_levels"):
        m = re.search(r"completion rate (\d\.\d+)", row["source"])
        if m:
            assert float(m.group(1)) == float(row["completion_rate"]), row["code"]
    bachelor = next(r for r in default_rows("education_levels") if r["code"] == "nkr6")
    assert "72 %" in bachelor["source"]


@pytest.mark.parametrize("row", _demo_rows("facilities"), ids=lambda r: r["id"])
def test_a_demo_facilitys_own_intensity_and_announced_jobs_are_in_its_source(
    row: dict[str, str],
) -> None:
    if row["intensity"]:
        assert f"intensity {float(row['intensity']):g}" in row["source"]
    if row["announced_jobs"]:
        assert float(row["announced_jobs"]) in _numbers(row["source"])
    # a facility that overrides its status default says why
    own = [c for c in ("realisation_probability", "delay_mode", "share_mode") if row[c]]
    if own:
        assert "default" in row["source"]


def test_the_demo_facilities_leave_risk_to_the_status_defaults_unless_they_say_why() -> None:
    rows = _demo_rows("facilities")
    blank = [r for r in rows if not r["realisation_probability"]]
    assert len(blank) >= len(rows) - 2


def test_a_status_default_read_off_a_count_states_the_count_it_is() -> None:
    """A probability estimated as m of n plants of the reference class says so, and is m/n
    (the construction default said "of five, three produce" beside 0.7)."""
    counted = 0
    for row in default_rows("facility_status"):
        for m in re.finditer(r"(\d+) of (\d+) = (\d\.\d+)", row["source"]):
            counted += 1
            hits, n, stated = int(m.group(1)), int(m.group(2)), float(m.group(3))
            assert round(hits / n, 2) == stated == float(row["realisation_probability"]), row
    assert counted >= 1
