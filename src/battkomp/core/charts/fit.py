"""A chart redrawn to fit the page: the dashboards draw every chart three times more from its
spec, at the width of the page's column on a laptop, of a tablet's column and of a phone, so that
its labels keep their size (11-12 px, never less) on each instead of shrinking with the drawing.
The page shows one of them by CSS (no script, site.css): the phone's below 40rem, the tablet's
from 40rem to 70rem (where the laptop's would be shrunk below its size: at 1024 px its 11 px
labels were 10 px, at 768 px 8 px), shown up to 1.25 times its size, and the laptop's from 70rem
(a column of 1088 px or more). The spec is kept on the SVG that
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
import re
from typing import Any

from django.utils.safestring import SafeString

#: The drawing's width on a laptop: the page's column (72rem less its padding) at 16 px.
WIDE = 1080
#: On a tablet or a narrow window (40rem to 70rem, 640-1120 px): the column at 40rem less its
#: padding. Shown up to 47rem wide (site.css), at 1.0-1.25 times its size: labels of 11-14 px.
MEDIUM = 600
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


def is_concat(spec: dict[str, Any]) -> bool:
    """Whether the spec is made of parts (which Vega-Lite cannot fit as a whole)."""
    views = _views(spec)
    return not (len(views) == 1 and views[0] is spec)


def axes_allowance(width: int) -> int:
    """A first guess of what a concat's axes and legends take beside its parts' plots."""
    return 150 if width < 480 else 260


def fit_spec(spec: dict[str, Any], width: int, allowance: int | None = None) -> dict[str, Any]:
    """The spec drawn ``width`` px wide, axes and legends included. A concat's parts get plots
    ``width`` less ``allowance`` (their axes and legends; by default a guess) wide."""
    fitted = copy.deepcopy(spec)
    narrow = width < 480
    views = _views(fitted)
    for view in views:
        view["width"] = width
    if not is_concat(fitted):
        fitted["autosize"] = {"type": "fit-x", "contains": "padding"}
    else:  # a concat cannot be fitted as a whole: its parts' plots get the width less the axes
        allowance = axes_allowance(width) if allowance is None else allowance
        for view in views:
            view["width"] = max(width - allowance, 120)
    config = fitted["config"] = copy.deepcopy(fitted.get("config", {}))
    if narrow:
        axis = config["axis"] = dict(config.get("axis", {}))
        # two legends above the plot (a chart's lines and its band) one under the other, not
        # side by side past the phone's edge
        stack = {"direction": "vertical", "anchor": "start", "margin": 4}
        config["legend"] = {
            **config.get("legend", {}),
            "labelLimit": NARROW - 40,
            "layout": {"top": stack, "bottom": stack},
        }
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
    suffix = "w" if width >= WIDE else "m" if width >= 480 else "n"
    name = f"{getattr(svg, 'name', 'chart')}-{suffix}"
    description = getattr(svg, "description", "")
    drawn = render_svg(fit_spec(spec, width), name=name, description=description)
    if is_concat(spec):
        # drawn once with a guess of its axes' width, then again with what they took, so that
        # the whole is as wide as asked (shown wider, its labels would grow with it)
        found = re.search(r'<svg [^>]*\bwidth="([\d.]+)"', drawn)
        if found is not None:
            plots = max(width - axes_allowance(width), 120)
            allowance = round(float(found.group(1))) - plots
            if abs(plots + allowance - width) > 2 and 0 <= allowance < width - 120:
                fitted = fit_spec(spec, width, allowance)
                drawn = render_svg(fitted, name=name, description=description)
    return drawn
