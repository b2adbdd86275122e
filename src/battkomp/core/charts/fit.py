"""A chart redrawn to fit the page: the dashboards draw every chart twice more from its spec, at
the width of the page's column on a laptop and at the width of a phone, so that its labels keep
their size (11-12 px) on both instead of shrinking with the drawing. The page shows one of them
by CSS (no script): the phone's below 40rem. The spec is kept on the SVG that
:func:`~battkomp.core.charts.render.render_svg` returns (:class:`ChartSvg`); a chart without it
(or one that cannot be refitted) is shown as drawn.

Fitting: the spec's whole drawing, axes and legends included, is made as wide as the target
(Vega-Lite's ``autosize: fit-x``); fixed steps of bars or cells become a width; long labels
(competence areas, plants) are cut shorter with an ellipsis on a phone (the full names are in
the table under the chart); year labels that would overlap are thinned; legends wrap in fewer
columns.
"""

from __future__ import annotations

import copy
from typing import Any

from django.utils.safestring import SafeString

#: The drawing's width on a laptop: the page's column (72rem less its padding) at 16 px.
WIDE = 1080
#: On a phone of 360-430 px: the column of the narrowest (360 px less 2 rem of padding).
NARROW = 328
#: The longest label on a phone, in px (about 22 characters); the table has the full names.
NARROW_LABEL = 120
#: Legends on a phone: at most two columns of entries.
NARROW_LEGEND_COLUMNS = 2


class ChartSvg(SafeString):
    """Rendered SVG markup that remembers the spec, name and description it was drawn from."""

    spec: dict[str, Any] | None = None
    name: str = "chart"
    description: str = ""


def _views(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The views of a spec whose size can be set: the spec itself or the parts of a concat."""
    for key in ("vconcat", "concat"):
        if key in spec:
            return [v for part in spec[key] for v in _views(part)]
    return [spec]


def _walk(node: Any, narrow: bool) -> None:
    """Shortens long labels and wraps legends (on a phone), recursively."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("data", "values"):
                continue
            if key == "encoding" and isinstance(value, dict):
                _encoding(value, narrow)
            if narrow and key == "labelLimit" and isinstance(value, (int, float)):
                node[key] = min(value, NARROW_LABEL)
            elif narrow and key == "legend" and isinstance(value, dict):
                if value.get("orient") in (None, "top", "bottom"):
                    value["columns"] = min(value.get("columns", 99), NARROW_LEGEND_COLUMNS)
                    value.setdefault("orient", "top")
                _walk(value, narrow)
            else:
                _walk(value, narrow)
    elif isinstance(node, list):
        for item in node:
            _walk(item, narrow)


def _encoding(encoding: dict[str, Any], narrow: bool) -> None:
    """Years that would overlap are thinned (every other one); names on a band (levels, areas)
    are all kept; a y axis of names loses its title (the caption says what they are, and Vega
    drew it across long names)."""
    for channel in ("x", "y"):
        enc = encoding.get(channel)
        if not isinstance(enc, dict) or (enc.get("axis") is None and "axis" in enc):
            continue
        axis = enc.setdefault("axis", {})
        if enc.get("field") == "year":
            axis["labelOverlap"] = "greedy"
        elif enc.get("type") == "nominal":
            if channel == "y":
                axis["title"] = None
            elif narrow and axis.get("labelAngle"):
                axis["labelAngle"] = -40


def fit_spec(spec: dict[str, Any], width: int) -> dict[str, Any]:
    """The spec drawn ``width`` px wide, axes and legends included."""
    fitted = copy.deepcopy(spec)
    narrow = width < 480
    views = _views(fitted)
    for view in views:
        view["width"] = width
    if len(views) == 1 and views[0] is fitted:
        fitted["autosize"] = {"type": "fit-x", "contains": "padding"}
    else:  # a concat cannot be fitted as a whole: its parts' plots get the width less the axes
        for view in views:
            view["width"] = max(width - (150 if narrow else 260), 120)
    config = fitted["config"] = copy.deepcopy(fitted.get("config", {}))
    if narrow:
        axis = config["axis"] = dict(config.get("axis", {}))
        config["legend"] = {**config.get("legend", {}), "labelLimit": NARROW - 40}
        axis["labelLimit"] = NARROW_LABEL
        axis["titleLimit"] = NARROW - 60
    _walk(fitted, narrow)
    return fitted


def fitted_svg(svg: SafeString, width: int) -> SafeString | None:
    """``svg``'s chart drawn again ``width`` px wide, or None when it has no spec."""
    from battkomp.core.charts.render import render_svg

    spec = getattr(svg, "spec", None)
    if spec is None:
        return None
    suffix = "w" if width >= 480 else "n"
    name = f"{getattr(svg, 'name', 'chart')}-{suffix}"
    return render_svg(fit_spec(spec, width), name=name, description=getattr(svg, "description", ""))
