"""Charts redrawn to fit the page (core/charts/fit.py): each chart drawn again at a laptop's
column, a tablet's column and a phone's width, axes and legends included, with its labels at
their size; long names cut on a phone, years thinned rather than overlapping, every level of a
heatmap kept; the report (PDF/HTML) keeps the chart as drawn."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from django.template.loader import render_to_string
from django.utils import translation

from battkomp.core import charts
from battkomp.core.charts.fit import MEDIUM, NARROW, NARROW_LABEL, WIDE, fit_spec
from battkomp.core.codes import codes
from battkomp.engine import ModelResult, run_model
from battkomp.engine.bundle import demo_bundle_path

YEAR = 2040


@pytest.fixture(scope="module")
def result() -> ModelResult:
    return run_model(demo_bundle_path(), scenario="mid", draws=20, seed=3)


@pytest.fixture(autouse=True)
def _empty_charts_cache() -> Iterator[None]:
    charts.cache_clear()
    yield
    charts.cache_clear()


def svg_width(svg: str) -> float:
    match = re.search(r'<svg [^>]*\bwidth="([\d.]+)"', svg)
    assert match, svg[:200]
    return float(match.group(1))


def legend_right_edges(svg: str) -> list[float]:
    """Where each legend of a drawing ends on the right, in px from the drawing's left edge
    (the plot's offset, the legend's place beside it, and its box's width)."""
    plot = re.search(r'<g fill="none"[^>]* transform="translate\(([-\d.]+),', svg)
    assert plot, svg[:300]
    legends = re.findall(
        r'role-legend" aria-hidden="true"><g transform="translate\(([-\d.]+),[-\d.]+\)">'
        r'<path class="background" aria-hidden="true" d="M0,0h([\d.]+)',
        svg,
    )
    return [float(plot.group(1)) + float(x) + float(width) for x, width in legends]


def encodings(node: Any) -> list[dict[str, Any]]:
    """Every encoding of a spec with an x or y of names."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        enc = node.get("encoding")
        if isinstance(enc, dict) and any(
            isinstance(enc.get(c), dict) and enc[c].get("type") == "nominal" for c in ("x", "y")
        ):
            found.append(enc)
        for value in node.values():
            found += encodings(value)
    elif isinstance(node, list):
        for item in node:
            found += encodings(item)
    return found


def label_sizes(svg: str) -> set[str]:
    """The font sizes of the chart's texts."""
    return set(re.findall(r'font-size="([\d.]+)px"', svg)) | set(
        re.findall(r"font-size:\s*([\d.]+)px", svg)
    )


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_a_chart_is_drawn_at_a_phones_a_tablets_and_a_laptops_width_with_its_labels_size(
    result: ModelResult, lang: str
) -> None:
    with translation.override(lang):
        built = [
            charts.gap_band_chart(result["totals"]),
            charts.shortage_heatmap_chart(result["time_squeeze"], YEAR),
            charts.squeeze_chart(result["squeeze_summary"]),
        ]
        for chart in built:
            wide, medium, narrow = chart.wide_svg, chart.medium_svg, chart.narrow_svg
            assert wide is not None
            assert medium is not None
            assert narrow is not None
            assert svg_width(wide) == pytest.approx(WIDE, abs=2), chart.name
            assert svg_width(medium) == pytest.approx(MEDIUM, abs=2), chart.name
            assert svg_width(narrow) == pytest.approx(NARROW, abs=2), chart.name
            # every legend inside the drawing (the gap chart's band legend stood beside its
            # lines' legend, cut off at a phone's edge in bokmål)
            for drawn in (wide, medium, narrow):
                for right in legend_right_edges(drawn):
                    assert right <= svg_width(drawn) + 0.5, (chart.name, right, svg_width(drawn))
            assert legend_right_edges(narrow) or chart.name != "gap"
            # the same type sizes as drawn: the labels are not shrunk with the drawing
            for drawn in (medium, narrow):
                assert label_sizes(drawn) <= label_sizes(chart.svg) | {"11", "12"}, chart.name
                assert min(float(s) for s in label_sizes(drawn)) >= 10
            # ids of their own, so that the four can share a page
            ids = [set(re.findall(r'id="([^"]+)"', drawn)) for drawn in (wide, medium, narrow)]
            assert not ids[0] & ids[1]
            assert not ids[0] & ids[2]
            assert not ids[1] & ids[2]
            # the same text alternative
            for drawn in (wide, medium, narrow):
                assert 'role="img"' in drawn
                assert re.search(r'aria-label="([^"]*)"', drawn).group(1) == re.search(  # type: ignore[union-attr]
                    r'aria-label="([^"]*)"', chart.svg
                ).group(1)  # type: ignore[union-attr]


def test_on_a_phone_long_names_are_cut_years_thinned_and_a_name_axis_loses_its_title(
    result: ModelResult,
) -> None:
    areas = pl.DataFrame({"area": list(codes("area")[:2]), "shortage": [9.0, 4.0]})
    bars = charts.bottleneck_spec(areas)[0]
    heat = charts.shortage_heatmap_spec(result["time_squeeze"], YEAR)[0]
    gap = charts.gap_band_spec(result["totals"])[0]
    narrow_heat = fit_spec(heat, NARROW)
    assert narrow_heat["autosize"] == {"type": "fit-x", "contains": "padding"}
    assert narrow_heat["width"] == NARROW
    limits = re.findall(r"'labelLimit': (\d+)", str(narrow_heat))
    assert limits
    assert all(int(v) <= NARROW_LABEL for v in limits)
    # every education level stays on the heatmap's axis (no label dropped for overlap)
    for encoding in encodings(narrow_heat):
        assert encoding["x"]["axis"].get("labelOverlap") in (None, False)
        assert encoding["y"]["axis"]["title"] is None
    # the years of a series are thinned, not drawn over each other
    assert "'labelOverlap': 'greedy'" in str(fit_spec(gap, NARROW))
    # the spec itself is untouched (the report draws it as it is)
    assert heat.get("width") != NARROW
    assert "autosize" not in heat
    wide_bars = fit_spec(bars, WIDE)
    assert wide_bars["width"] == WIDE
    # it was drawn over the names
    assert all(e["y"]["axis"]["title"] is None for e in encodings(wide_bars) if "y" in e)


def test_the_page_shows_one_drawing_by_width_and_the_report_keeps_the_chart_as_drawn(
    result: ModelResult,
) -> None:
    chart = charts.gap_band_chart(result["totals"])
    html = render_to_string("analysis/_chart.html", {"chart": chart, "caption": "Gap"})
    assert 'class="chart fitted"' in html
    assert html.count("<svg ") == 3
    assert '<div class="chart-wide">' in html
    assert '<div class="chart-medium">' in html
    assert '<div class="chart-narrow">' in html
    css = (Path(charts.__file__).parents[2] / "static/battkomp/site.css").read_text()
    assert (
        "figure.chart.fitted .chart-medium, figure.chart.fitted .chart-narrow { display: none; }"
        in css
    )
    assert "@media (min-width: 40.01rem) and (max-width: 70rem)" in css
    # the report renders the spec with render_svg: one drawing at the spec's own width
    spec, _ = charts.gap_band_spec(result["totals"])
    drawn = str(charts.render_svg(spec, name="report-gap"))
    assert drawn.count("<svg ") == 1
    assert svg_width(drawn) < WIDE
