"""Charts rendered on the server: Vega-Lite v5 specs built as plain dicts from a run's polars
frames, turned into SVG by ``vl_convert`` (no browser, no network: the data are inline values,
the text uses the generic ``sans-serif`` font), each with the rows of the data table shown beside
it for those who cannot see the chart.

The SVG is made by us from numbers and our own labels; Vega escapes the text it writes, and the
only attribute added here (the ``aria-label``) is escaped too. Ids inside an SVG (gradients,
clip paths) are prefixed with the chart's name so that several charts can share a page.

Rendered charts are kept in memory by key (see :func:`cached`): a finished run never changes.

The parts: :mod:`~battkomp.core.charts.base` (configuration, colours, :class:`Chart`, generic
specs), :mod:`~battkomp.core.charts.render` (SVG and the cache),
:mod:`~battkomp.core.charts.results` (a run's results), :mod:`~battkomp.core.charts.public` (the
public dashboard's further views) and :mod:`~battkomp.core.charts.advice` (measures, recruitment
from abroad, recommendations). Every public name is importable from ``battkomp.core.charts``.
"""

from battkomp.core.charts.advice import (
    MEASURE_COLOURS,
    abroad_chart,
    abroad_spec,
    measure_effect_chart,
    measure_effect_spec,
    recommendation_chart,
    recommendation_spec,
)
from battkomp.core.charts.base import (
    CONFIG,
    HORIZON_COLOURS,
    NB_FORMAT,
    NO_SHORTAGE_BELOW,
    NO_SHORTAGE_COLOUR,
    SCHEMA,
    SERIES_COLOURS,
    SUPPLY_METRICS,
    SUPPRESSED_COLOUR,
    VL_VERSION,
    Chart,
    Row,
    break_at_hidden_years,
    horizon_labels,
    main_figure,
    metric_labels,
    num,
    ordered_present,
    supply_source_labels,
    supply_sources,
    vega_spec,
    year_series_spec,
)
from battkomp.core.charts.public import (
    conditional_chart,
    conditional_spec,
    place_gap_chart,
    place_gap_spec,
    public_heatmap_chart,
    public_heatmap_spec,
    public_squeeze_chart,
    scenario_gap_chart,
    scenario_gap_spec,
    segment_coverage_chart,
    segment_coverage_spec,
)
from battkomp.core.charts.render import (
    CACHE_SIZE,
    cache_clear,
    cached,
    render_svg,
)
from battkomp.core.charts.results import (
    bottleneck_chart,
    bottleneck_spec,
    gap_band_chart,
    gap_band_spec,
    gap_series,
    level_shortage_chart,
    level_shortage_spec,
    named_squeeze_chart,
    shortage_heatmap_chart,
    shortage_heatmap_spec,
    squeeze_chart,
    squeeze_spec,
)

__all__ = [
    "CACHE_SIZE",
    "CONFIG",
    "HORIZON_COLOURS",
    "MEASURE_COLOURS",
    "NB_FORMAT",
    "NO_SHORTAGE_BELOW",
    "NO_SHORTAGE_COLOUR",
    "SCHEMA",
    "SERIES_COLOURS",
    "SUPPLY_METRICS",
    "SUPPRESSED_COLOUR",
    "VL_VERSION",
    "Chart",
    "Row",
    "abroad_chart",
    "abroad_spec",
    "bottleneck_chart",
    "bottleneck_spec",
    "break_at_hidden_years",
    "cache_clear",
    "cached",
    "conditional_chart",
    "conditional_spec",
    "gap_band_chart",
    "gap_band_spec",
    "gap_series",
    "horizon_labels",
    "level_shortage_chart",
    "level_shortage_spec",
    "main_figure",
    "measure_effect_chart",
    "measure_effect_spec",
    "metric_labels",
    "named_squeeze_chart",
    "num",
    "ordered_present",
    "place_gap_chart",
    "place_gap_spec",
    "public_heatmap_chart",
    "public_heatmap_spec",
    "public_squeeze_chart",
    "recommendation_chart",
    "recommendation_spec",
    "render_svg",
    "scenario_gap_chart",
    "scenario_gap_spec",
    "segment_coverage_chart",
    "segment_coverage_spec",
    "shortage_heatmap_chart",
    "shortage_heatmap_spec",
    "squeeze_chart",
    "squeeze_spec",
    "supply_source_labels",
    "supply_sources",
    "vega_spec",
    "year_series_spec",
]
