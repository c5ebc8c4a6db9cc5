"""Geometry for the signatures-per-day bar chart on the coordinator's signatures page.

Numbers in, coordinates out (no database, no markup), like cases/charts.py whose axis scale it
reuses; the template draws the SVG and a table with the same figures.
"""

import datetime
import math
from dataclasses import dataclass

from cases.charts import Tick, nice_scale

# A long campaign keeps its last months on the chart; the table below it has every day.
MAX_DAYS = 120


@dataclass
class DayBar:
    day: datetime.date
    count: int
    x: float
    y: float
    width: float
    height: float
    label_x: float
    show_label: bool


@dataclass
class DailyBars:
    width: int
    height: int
    plot_left: float
    plot_right: float
    baseline: float
    axis_x: float
    axis_anchor: str
    bars: list[DayBar]
    ticks: list[Tick]

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


def every_day(counts: dict[datetime.date, int], last_day: datetime.date | None = None):
    """(day, count) for each day from the first signature to `last_day`, zeros included."""
    if not counts:
        return []
    first = min(counts)
    last = max(max(counts), last_day or first)
    return [
        (first + datetime.timedelta(days=n), counts.get(first + datetime.timedelta(days=n), 0))
        for n in range((last - first).days + 1)
    ]


def daily_bars(
    days: list[tuple[datetime.date, int]],
    *,
    width: int = 720,
    height: int = 220,
    rtl: bool = False,
    max_labels: int = 8,
) -> DailyBars:
    """One bar per day, oldest first (mirrored when `rtl`); at most the last MAX_DAYS."""
    days = days[-MAX_DAYS:]
    axis_space, top, bottom = 48, 12, 26
    plot_left, plot_right = (axis_space, width - 8) if not rtl else (8, width - axis_space)
    baseline = height - bottom
    maximum, step = nice_scale(max((count for _, count in days), default=0))
    scale = (baseline - top) / maximum
    slot = (plot_right - plot_left) / max(len(days), 1)
    bar_width = max(slot * 0.8, 0.5)
    label_every = max(1, math.ceil(len(days) / max_labels))
    bars = []
    for index, (day, count) in enumerate(days):
        position = index if not rtl else len(days) - 1 - index
        x = plot_left + position * slot + (slot - bar_width) / 2
        bar_height = count * scale
        bars.append(
            DayBar(
                day=day,
                count=count,
                x=round(x, 2),
                y=round(baseline - bar_height, 2),
                width=round(bar_width, 2),
                height=round(bar_height, 2),
                label_x=round(x + bar_width / 2, 2),
                # Always label the latest day, and every n-th before it.
                show_label=(len(days) - 1 - index) % label_every == 0,
            )
        )
    ticks = [
        Tick(value, round(baseline - value * scale, 2)) for value in range(0, maximum + 1, step)
    ]
    return DailyBars(
        width=width,
        height=height,
        plot_left=plot_left,
        plot_right=plot_right,
        baseline=baseline,
        axis_x=plot_left - 6 if not rtl else plot_right + 6,
        axis_anchor="end" if not rtl else "start",
        bars=bars,
        ticks=ticks,
    )
