"""The chart builders (battkomp.core.charts): valid Vega-Lite that renders to self-contained SVG,
data tables that hold the frame's numbers, labels in the active language, and the cache."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest
import vl_convert as vlc
from django.utils import translation

from battkomp.core import charts
from battkomp.core.codes import codes, label
from battkomp.core.numbers import format_number
from battkomp.engine import ModelResult, run_model
from battkomp.engine.bundle import demo_bundle_path
from battkomp.engine.schema import HORIZON_ORDER

NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
YEAR = 2040


@pytest.fixture(scope="module")
def result() -> ModelResult:
    return run_model(demo_bundle_path(), scenario="mid", draws=30, seed=3)


@pytest.fixture(autouse=True)
def _empty_charts_cache() -> Iterator[None]:
    charts.cache_clear()
    yield
    charts.cache_clear()


def build(result: ModelResult) -> list[charts.Chart]:
    return [
        charts.gap_band_chart(result["totals"]),
        charts.shortage_heatmap_chart(result["time_squeeze"], YEAR),
        charts.squeeze_chart(result["squeeze_summary"]),
    ]


def test_every_spec_is_vega_lite_v5_that_renders_to_svg(result: ModelResult) -> None:
    specs = [
        charts.gap_band_spec(result["totals"])[0],
        charts.shortage_heatmap_spec(result["time_squeeze"], YEAR)[0],
        charts.squeeze_spec(result["squeeze_summary"])[0],
    ]
    for spec in specs:
        assert spec["$schema"].endswith("/vega-lite/v5.json")
        assert "<svg" in vlc.vegalite_to_svg(spec, vl_version=charts.VL_VERSION)
    for chart in build(result):
        assert chart.svg.startswith("<svg ")
        assert chart.svg.rstrip().endswith("</svg>")
        assert chart.rows


def test_the_svg_refers_to_nothing_outside_itself(result: ModelResult) -> None:
    for chart in build(result):
        urls = set(re.findall(r"https?://[^\"'\s)<>]+", chart.svg))
        assert urls <= NAMESPACES, chart.name
        assert "<image" not in chart.svg
        assert "@import" not in chart.svg
        assert "<script" not in chart.svg
        hrefs = re.findall(r'href="([^"]*)"', chart.svg)
        assert all(h.startswith("#") for h in hrefs), hrefs


def test_a_spec_that_asks_for_remote_data_is_refused() -> None:
    with pytest.raises(ValueError, match="not allowed"):
        charts.render_svg({"data": {"url": "https://example.com/data.json"}, "mark": "point"})


def test_the_svg_is_an_image_with_an_escaped_name_and_ids_of_its_own(result: ModelResult) -> None:
    spec = charts.shortage_heatmap_spec(result["time_squeeze"], YEAR)[0]
    svg = charts.render_svg(spec, name="one", description='Tom & "Jerry" <b>')
    assert svg.startswith('<svg role="img" aria-label="Tom &amp; &quot;Jerry&quot; &lt;b&gt;" ')
    ids = re.findall(r'id="([^"]+)"', svg)
    assert ids
    assert all(i.startswith("one-") for i in ids)
    assert all(ref.startswith("one-") for ref in re.findall(r"url\(#([^)]+)\)", svg))


def test_text_in_the_chart_is_escaped_by_the_renderer() -> None:
    spec = {
        "data": {"values": [{"x": "<script>alert(1)</script>", "y": 1}]},
        "mark": "bar",
        "encoding": {"x": {"field": "x", "type": "nominal"}, "y": {"field": "y"}},
    }
    svg = charts.render_svg(spec)
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


def test_the_gap_table_holds_the_frames_means_and_the_gaps_band(result: ModelResult) -> None:
    totals = result["totals"]
    chart = charts.gap_band_chart(totals)
    years = sorted(totals["year"].unique().to_list())
    assert [r[0] for r in chart.rows] == [str(y) for y in years]

    def value(year: int, metric: str, column: str = "mean") -> float:
        row = totals.filter((pl.col("year") == year) & (pl.col("metric") == metric))
        return float(row[column][0])

    for header, (openings, supply, gap, p10, p90) in chart.rows:
        year = int(header)
        assert openings == value(year, "openings")
        assert gap == value(year, "gap")
        assert p10 == value(year, "gap", "p10")
        assert p90 == value(year, "gap", "p90")
        # education, the workers released by cuts, retraining and recruitment, plus what counted
        # measures add (when any do); supply_released is part of the supply since 846de47 (the
        # engine's total `supply` adds it, docs/model.md section 5, decision on Cedefop's identity)
        parts = ["supply_education", "supply_released", "supply_retraining", "supply_recruitment"]
        if "measure_supply" in set(totals["metric"].to_list()):
            parts.append("measure_supply")
        sources = sum(value(year, m) for m in parts)
        assert supply == pytest.approx(sources, rel=1e-12)


def test_the_heatmap_table_holds_the_mean_shortage_of_each_area_and_level(
    result: ModelResult,
) -> None:
    cells = result["time_squeeze"].filter(pl.col("year") == YEAR)
    with translation.override("en"):
        chart = charts.shortage_heatmap_chart(result["time_squeeze"], YEAR)
        levels = sorted(set(cells["level"]), key=list(codes("level")).index)
        areas = [a for a in codes("area") if a in set(cells["area"])]
        assert chart.columns == ("Competence area", *(label("level", lv) for lv in levels))
        assert [r[0] for r in chart.rows] == [label("area", a) for a in areas]
    for (_, values), area in zip(chart.rows, areas, strict=True):
        for v, level in zip(values, levels, strict=True):
            cell = cells.filter((pl.col("area") == area) & (pl.col("level") == level))
            assert v == pytest.approx(float(cell["shortage_mean"].sum()), abs=1e-12)
    total = sum(v for _, values in chart.rows for v in values if v is not None)
    assert total == pytest.approx(float(cells["shortage_mean"].sum()))


def test_the_squeeze_table_holds_the_summary_by_year_and_horizon(result: ModelResult) -> None:
    summary = result["squeeze_summary"]
    chart = charts.squeeze_chart(summary)
    expected: dict[tuple[int, str], float] = {
        (int(y), h): float(v)
        for y, h, v in summary.select("year", "horizon", "shortage_mean").rows()
    }
    seen: dict[tuple[int, str], float] = {}
    for header, values in chart.rows:
        for horizon, v in zip(HORIZON_ORDER, values, strict=True):
            if v is not None:
                seen[(int(header), horizon)] = v
    assert seen == expected


@pytest.mark.parametrize(
    ("lang", "titles"),
    [
        ("en", ["Year", "Persons", "Competence area", "Education level", "Expected shortage"]),
        ("nb", ["År", "Personer", "Fagområde", "Utdanningsnivå", "Forventet mangel"]),
    ],
)
def test_axis_titles_and_labels_are_in_the_active_language(
    result: ModelResult, lang: str, titles: list[str]
) -> None:
    with translation.override(lang):
        svg = "".join(c.svg for c in build(result))
        horizon = charts.horizon_labels()["long"]
        area = label("area", "electrochemistry")
    for title in titles:
        assert f">{title}</text>" in svg, title
    assert f">{horizon}</text>" in svg
    assert area in svg
    assert ("Long term: educate" in svg) == (lang == "en")


def test_numbers_on_the_axes_follow_the_language(result: ModelResult) -> None:
    with translation.override("nb"):
        nb = charts.gap_band_chart(result["totals"]).svg
    with translation.override("en"):
        en = charts.gap_band_chart(result["totals"]).svg
    assert "−100<" in nb or "-100<" in nb or "\u2212100<" in nb
    assert ">2026</text>" in nb  # years are categories: never "2 026"
    assert ">2026</text>" in en


def test_a_chart_is_rendered_once_per_key_and_language(result: ModelResult) -> None:
    calls: list[Any] = []

    def make() -> charts.Chart:
        calls.append(1)
        return charts.squeeze_chart(result["squeeze_summary"])

    with translation.override("en"):
        first = charts.cached(("run", 1, "squeeze"), make)
        assert charts.cached(("run", 1, "squeeze"), make) is first
    with translation.override("nb"):
        other = charts.cached(("run", 1, "squeeze"), make)
    assert other is not first
    assert len(calls) == 2


def test_the_gap_chart_says_which_side_of_zero_is_shortage_and_which_surplus(
    result: ModelResult,
) -> None:
    with translation.override("en"):
        spec, rows = charts.gap_band_spec(result["totals"])
    texts = [
        layer["encoding"]["text"]["value"]
        for layer in spec["layer"]
        if layer.get("mark", {}).get("type") == "text"
    ]
    rules = [layer for layer in spec["layer"] if layer.get("mark", {}).get("type") == "rule"]
    assert [r["encoding"]["y"] for r in rules] == [{"datum": 0}]
    assert texts[0] == "↑ Shortage: openings above supply"
    surplus = any(values[2] is not None and values[2] < 0 for _, values in rows)
    assert ("↓ Surplus: supply above openings" in texts) == surplus


def test_a_heatmap_cell_without_shortage_is_white_not_a_pale_shortage() -> None:
    cells = pl.DataFrame(
        {
            "year": [YEAR] * 4,
            "area": ["cell_design", "cell_design", "hse", "hse"],
            "level": ["nkr4", "nkr6", "nkr4", "nkr6"],
            "shortage_mean": [0.0, 0.01, 4.0, 20.0],
        }
    )
    with translation.override("en"):
        spec, _levels, rows = charts.shortage_heatmap_spec(cells, YEAR)
    shown, states = spec["layer"]
    assert sorted(v["shortage"] for v in shown["data"]["values"]) == [4.0, 20.0]
    assert {v["state"] for v in states["data"]["values"]} == {"No shortage (0)"}
    assert states["encoding"]["color"]["scale"] == {
        "domain": ["No shortage (0)"],
        "range": [charts.NO_SHORTAGE_COLOUR],
    }
    assert spec["resolve"] == {"scale": {"color": "independent"}}
    assert [values for _, values in rows] == [[0.0, 0.01], [4.0, 20.0]]
    assert "<svg" in charts.render_svg(spec)

    nothing_short = cells.with_columns(pl.lit(0.0).alias("shortage_mean"))
    spec = charts.shortage_heatmap_spec(nothing_short, YEAR)[0]
    assert len(spec["layer"]) == 1, "no empty shortage legend when no cell is short"


def test_the_gap_and_level_charts_say_their_main_figure_in_their_text_alternative(
    result: ModelResult,
) -> None:
    with translation.override("en"):
        gap = charts.gap_band_chart(result["totals"])
    gaps = [(year, values[2]) for year, values in gap.rows if values[2] is not None]
    year, largest = max(gaps, key=lambda pair: pair[1])
    assert f"in {year}:" in gap.description
    word = "largest" if largest > 0 else "smallest"
    assert word in gap.description
    assert gap.description in gap.svg or "aria-label" in gap.svg

    rows = pl.DataFrame(
        {"year": [2030, 2030, 2031], "level": ["nkr4", "nkr6", "nkr4"], "mean": [3.0, 40.0, 7.5]}
    )
    with translation.override("en"):
        levels = charts.level_shortage_chart(rows)
    assert levels.description.endswith("The largest is 40 persons at Bachelor in 2030.")


def test_lines_break_at_a_hidden_year_instead_of_joining_across(result: ModelResult) -> None:
    """Issue 13: a suppressed year was left out and its neighbours joined straight across. The
    year keeps its place on the axis, with a null point per series, and the drawn line breaks."""
    points = [
        {"year": "2026", "series": "a", "value": 1.0},
        {"year": "2027", "series": "a", "value": 2.0},
        {"year": "2029", "series": "a", "value": 3.0},
        {"year": "2026", "series": "b", "value": 4.0},
        {"year": "2029", "series": "b", "value": 5.0},
    ]
    filled, domain = charts.break_at_hidden_years(points, "series", ["value"])
    assert domain == ["2026", "2027", "2028", "2029"]
    added = sorted((p["series"], p["year"]) for p in filled if p["value"] is None)
    assert added == [("a", "2028"), ("b", "2027"), ("b", "2028")]

    totals = result["totals"].filter(pl.col("year") != 2030)  # 2030 hidden, as if suppressed
    spec, _rows = charts.gap_band_spec(totals)
    svg = vlc.vegalite_to_svg(spec, vl_version=charts.VL_VERSION)
    paths = re.findall(r'<g class="mark-line[^>]*>(.*?)</g>', svg, re.S)
    assert paths
    for group in paths:
        for d in re.findall(r' d="([^"]*)"', group):
            assert d.count("M") == 2, "each line is drawn in two pieces, around 2030"
    layers = spec["layer"]
    assert "2030" in layers[1]["encoding"]["x"]["scale"]["domain"]


def test_the_parts_of_a_chart_carry_no_roles_of_their_own(result: ModelResult) -> None:
    """The <svg role="img"> and its label are the text alternative; Vega's graphics-symbol roles
    on area marks had no name (axe svg-img-alt, issue 13)."""
    for chart in build(result):
        assert chart.svg.count('role="') == 1, chart.name
        assert chart.svg.count("aria-label=") == 1, chart.name
        assert "aria-roledescription" not in chart.svg


def test_every_chart_states_its_main_figure(result: ModelResult) -> None:
    """Issue 13: each chart's text alternative states its main figure: the largest value of its
    data table, with where it is."""
    rows = (("Cell design", [12.0]), ("HSE", [30.4]))
    with translation.override("en"):
        assert charts.main_figure(rows, ("Area", "Shortage")) == (
            " The largest value is 30 persons (HSE)."
        )
        grid = (("2030", [1.0, None, 9.0]), ("2031", [4.0, 2.0, 3.0]))
        assert charts.main_figure(grid, ("Year", "A", "B", "C")).endswith("(2030, C).")
        assert charts.main_figure(grid, ("Year", "A", "B", "C"), use=[0]).endswith("(2031).")
        assert charts.main_figure((("2030", [None]),), ("Year", "A")) == ""
        heatmap = charts.shortage_heatmap_chart(result["time_squeeze"], YEAR)
        squeeze = charts.squeeze_chart(result["squeeze_summary"])
        for chart in (heatmap, squeeze):
            top = max(v for _h, values in chart.rows for v in values if v is not None)
            assert f"The largest value is {format_number(top, 0)} persons" in chart.description
            assert "aria-label" in chart.svg


#: A legend's symbol and the label beside it, as Vega writes them in the SVG.
LEGEND_ENTRY = re.compile(
    r'role-legend-symbol"[^>]*><path ([^>]*)/></g><g class="mark-text role-legend-label"[^>]*>'
    r"<text [^>]*>([^<]*)</text>"
)


def legend_symbols(svg: str) -> dict[str, dict[str, str]]:
    """Each legend entry's label with its symbol's attributes (d, stroke-dasharray, opacity…);
    a label may stand in the legends once."""
    entries = LEGEND_ENTRY.findall(svg)
    labels = [text for _, text in entries]
    assert len(labels) == len(set(labels)), f"a label twice in the legends: {labels}"
    return {
        text: dict(re.findall(r'([a-z-]+)="([^"]*)"', attributes)) for attributes, text in entries
    }


def is_line(d: str) -> bool:
    """A symbol drawn as a short horizontal line (Vega's "stroke"), not a circle or a square."""
    return re.fullmatch(r"M-?[\d.]+,0L[\d.]+,0", d) is not None


def test_the_legends_draw_lines_bands_and_bars_as_the_chart_does(result: ModelResult) -> None:
    """Issue 13: the report's (and the pages') line charts drew each series in their legend as a
    filled circle, supply's dashed line as a circle with a ragged dashed edge, and gave the gap's
    band no entry. A line's symbol is now a line with its dash, the band a square at the band's
    opacity, and a bar chart keeps its squares."""
    with translation.override("en"):
        gap = legend_symbols(charts.gap_band_chart(result["totals"]).svg)
        names = charts.metric_labels(("openings", "supply", "gap"))
        bars = legend_symbols(
            charts.render_svg(
                charts.year_series_spec(
                    [{"year": "2030", "series": "a", "value": 1.0, "rank": 0}],
                    ["a"],
                    lines=False,
                    y_title="Persons",
                    legend={"orient": "top"},
                )
            )
        )
    assert set(gap) == {*names.values(), "Gap's P10–P90 band"}
    for metric, name in names.items():
        assert is_line(gap[name]["d"]), (name, gap[name])
        dash = gap[name].get("stroke-dasharray")
        assert (dash == "6,3") if metric == "supply" else (dash in (None, "1,0")), (name, dash)
    band = gap["Gap's P10–P90 band"]
    assert not is_line(band["d"]), band
    assert band["d"].endswith("Z"), "a square"
    assert (
        float(band["opacity"])
        == charts.gap_band_spec(result["totals"])[0]["layer"][0]["mark"]["opacity"]
    )
    assert not is_line(bars["a"]["d"]), "a bar chart's legend keeps its squares"


def test_a_dashed_line_of_the_measures_chart_is_dashed_in_its_legend() -> None:
    """The dashboard's measures chart: the gap without the measures, dashed, had a dashed circle
    in the legend."""
    gaps = pl.DataFrame(
        {"year": [2030, 2030], "metric": ["gap", "gap_without_measures"], "mean": [5.0, 9.0]}
    )
    supply = pl.DataFrame({"year": [2030], "measure": ["m1"], "supply": [4.0]})
    with translation.override("en"):
        spec = charts.measure_effect_spec(gaps, supply, {"m1": "Course"})[0]
        symbols = legend_symbols(charts.render_svg(spec))
        without = label("metric", "gap_without_measures")
        with_ = label("metric", "gap")
    assert is_line(symbols[without]["d"])
    assert symbols[without]["stroke-dasharray"] == "6,3"
    assert is_line(symbols[with_]["d"])
    assert symbols[with_].get("stroke-dasharray") in ("1,0", None)
    assert not is_line(symbols["Course"]["d"]), "the measures' bars keep their squares"
