"""Bar charts for the transparency page, drawn on the server as SVG.

The geometry is computed here and drawn by ``templates/ledger/_bar_chart.html``, so the
charts need no JavaScript, scale to any width, and every bar carries its value as a
tooltip. They are illustrations: the table under each chart holds the same figures as
text, for screen readers and for anyone who wants the numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ledger.books.money import format_money

WIDTH = 720
HEIGHT = 240
LEFT = 84  # room for the value labels
RIGHT = 8
TOP = 12
BOTTOM = 28  # room for the month labels


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int  # index into the chart's series, for its colour
    title: str  # "2026-03: $1,234.00"


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class MonthLabel:
    x: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: int  # x of the plot's right edge
    baseline: float
    bars: list[Bar]
    ticks: list[Tick]
    months: list[MonthLabel]
    series_count: int


def _nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 × 10^n at or above ``value`` (at least 1)."""
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def monthly_bars(
    months: Sequence[str],
    series: Sequence[Sequence[int]],
    *,
    currency: str,
) -> Chart:
    """Grouped bars, one group per month (or period) and one bar per series. Only
    published figures are drawn: the page groups suppressed months into periods first."""
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_height
    values = [v for s in series for v in s]
    top = _nice_ceiling(max([v for v in values if v > 0], default=0))
    slot = plot_width / max(len(months), 1)
    bar_width = max(slot * 0.8 / max(len(series), 1), 0.5)
    bars: list[Bar] = []
    for i, month in enumerate(months):
        x0 = LEFT + i * slot + slot * 0.1
        for s, values_of_series in enumerate(series):
            value = values_of_series[i]
            x = round(x0 + s * bar_width, 2)
            height = round(max(value, 0) / top * plot_height, 2)
            title = f"{month}: {format_money(value, currency)}"
            bars.append(Bar(x, round(baseline - height, 2), round(bar_width, 2), height, s, title))
    ticks = [
        Tick(round(baseline - fraction * plot_height, 2), format_money(top * n // 4, currency))
        for n, fraction in ((0, 0.0), (2, 0.5), (4, 1.0))
        if values or n == 0
    ]
    every = max(1, -(-len(months) // 12))  # at most about twelve month labels
    labels = [
        MonthLabel(round(LEFT + i * slot + slot / 2, 2), month)
        for i, month in enumerate(months)
        if i % every == 0
    ]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        baseline=baseline,
        bars=bars,
        ticks=ticks,
        months=labels,
        series_count=len(series),
    )
