"""Geometry for the signatures-per-day bar chart on the coordinator's signatures page.

Numbers in, coordinates out (no database, no markup), like cases/charts.py whose axis scale it
reuses; the template draws the SVG and a table with the same figures.
"""

import datetime
from dataclasses import dataclass

from cases.charts import Tick, bar_frame

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
    frame = bar_frame(
        [count for _, count in days],
        width=width,
        height=height,
        rtl=rtl,
        max_labels=max_labels,
        axis_space=48,
        fill=0.8,
        min_bar_width=0.5,
    )
    bars = []
    for index, (day, count) in enumerate(days):
        x = frame.bar_x(index)
        bar_height = count * frame.scale
        bars.append(
            DayBar(
                day=day,
                count=count,
                x=round(x, 2),
                y=round(frame.baseline - bar_height, 2),
                width=round(frame.bar_width, 2),
                height=round(bar_height, 2),
                label_x=round(x + frame.bar_width / 2, 2),
                show_label=frame.show_label(index),
            )
        )
    return DailyBars(
        width=width,
        height=height,
        plot_left=frame.plot_left,
        plot_right=frame.plot_right,
        baseline=frame.baseline,
        axis_x=frame.axis_x,
        axis_anchor=frame.axis_anchor,
        bars=bars,
        ticks=frame.ticks,
    )
