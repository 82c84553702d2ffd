"""Server-rendered charts: accessible tables and SVG, no script, no inline style.

Each chart is a pure function from figures to markup: an SVG with ``<title>``/``<desc>`` (or a
real table) plus the same figures as a data table; numbers in the reader's locale; mirrored for
right-to-left readers where the axis is reading order (not on the map, which is geography).
Colours live in ``static/charts.css`` as classes, so a strict style-src CSP holds.
"""

from services.portal.charts.bars import Bar, bar_chart, declines_chart, funnel_chart
from services.portal.charts.figures import NO_DATA, SUPPRESSED, Figure, figure
from services.portal.charts.heatmap import HeatMap
from services.portal.charts.locale import ChartLocale
from services.portal.charts.outcomes import outcome_chart
from services.portal.charts.render import STATIC
from services.portal.charts.tilemap import tile_map
from services.portal.charts.timeline import Span, timeline_chart

__all__ = [
    "NO_DATA",
    "STATIC",
    "SUPPRESSED",
    "Bar",
    "ChartLocale",
    "Figure",
    "HeatMap",
    "Span",
    "bar_chart",
    "declines_chart",
    "figure",
    "funnel_chart",
    "outcome_chart",
    "tile_map",
    "timeline_chart",
]
