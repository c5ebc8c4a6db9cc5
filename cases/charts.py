"""Geometry for the server-rendered SVG charts and map; the templates draw it.

Pure functions: numbers in, coordinates out, no database and no markup, so that the charts are
tested without a browser and the templates stay dumb. Coordinates are in viewBox units; the SVG
scales to its container with CSS.
"""

import json
import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .figures import STATUS_ORDER, Breakdown

WORLD_MAP_JSON = Path(__file__).resolve().parent / "data" / "world_map.json"


# -- Stacked bars (killings per year by status) --------------------------------------------


@dataclass
class Segment:
    status: str
    count: int
    y: float
    height: float


@dataclass
class Bar:
    key: object
    total: int
    x: float
    width: float
    label_x: float
    show_label: bool
    segments: list[Segment] = field(default_factory=list)


@dataclass
class Tick:
    value: int
    y: float


@dataclass
class StackedBars:
    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_top: float
    baseline: float
    axis_x: float  # where the value labels sit: left of the plot, or right of it in RTL
    axis_anchor: str
    bars: list[Bar]
    ticks: list[Tick]

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


def nice_scale(maximum: int, target_ticks: int = 4) -> tuple[int, int]:
    """A round top value and step for an axis that starts at zero: (top, step)."""
    if maximum <= 0:
        return 1, 1
    raw = maximum / target_ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step))
    return step * math.ceil(maximum / step), step


@dataclass
class BarFrame:
    """Where n bars stand: the plot, the value axis and each bar's slot, mirrored when `rtl`."""

    plot_left: float
    plot_right: float
    baseline: float
    scale: float  # viewBox units per unit of value
    slot: float
    bar_width: float
    label_every: int
    ticks: list[Tick]
    axis_x: float  # where the value labels sit: left of the plot, or right of it in RTL
    axis_anchor: str
    bar_count: int
    rtl: bool

    def bar_x(self, index: int) -> float:
        position = index if not self.rtl else self.bar_count - 1 - index
        return self.plot_left + position * self.slot + (self.slot - self.bar_width) / 2

    def show_label(self, index: int) -> bool:
        """Always label the last bar (the latest), and every n-th before it."""
        return (self.bar_count - 1 - index) % self.label_every == 0


def bar_frame(
    totals: list[int],
    *,
    width: int,
    height: int,
    rtl: bool,
    max_labels: int,
    axis_space: int,
    fill: float,
    min_bar_width: float,
    top: int = 12,
    bottom: int = 26,
) -> BarFrame:
    """The frame for bars of these `totals`: `fill` is the share of its slot a bar takes."""
    plot_left, plot_right = (axis_space, width - 8) if not rtl else (8, width - axis_space)
    baseline = height - bottom
    maximum, step = nice_scale(max(totals, default=0))
    scale = (baseline - top) / maximum
    slot = (plot_right - plot_left) / max(len(totals), 1)
    return BarFrame(
        plot_left=plot_left,
        plot_right=plot_right,
        baseline=baseline,
        scale=scale,
        slot=slot,
        bar_width=max(slot * fill, min_bar_width),
        label_every=max(1, math.ceil(len(totals) / max_labels)),
        ticks=[
            Tick(value, round(baseline - value * scale, 2)) for value in range(0, maximum + 1, step)
        ],
        axis_x=plot_left - 6 if not rtl else plot_right + 6,
        axis_anchor="end" if not rtl else "start",
        bar_count=len(totals),
        rtl=rtl,
    )


def stacked_bars(
    breakdowns: list[Breakdown],
    statuses: list[str] = STATUS_ORDER,
    *,
    width: int = 720,
    height: int = 260,
    rtl: bool = False,
    max_labels: int = 12,
) -> StackedBars:
    """Bars per key (year), each stacked bottom-up in `statuses` order; mirrored when `rtl`."""
    top = 12
    frame = bar_frame(
        [b.total for b in breakdowns],
        width=width,
        height=height,
        rtl=rtl,
        max_labels=max_labels,
        axis_space=44,
        fill=0.72,
        min_bar_width=1.0,
        top=top,
    )
    bars = []
    for index, breakdown in enumerate(breakdowns):
        x = frame.bar_x(index)
        bar = Bar(
            key=breakdown.key,
            total=breakdown.total,
            x=round(x, 2),
            width=round(frame.bar_width, 2),
            label_x=round(x + frame.bar_width / 2, 2),
            show_label=frame.show_label(index),
        )
        y = frame.baseline
        for status in statuses:
            count = breakdown.by_status.get(status, 0)
            if not count:
                continue
            segment_height = count * frame.scale
            y -= segment_height
            bar.segments.append(Segment(status, count, round(y, 2), round(segment_height, 2)))
        bars.append(bar)
    return StackedBars(
        width=width,
        height=height,
        plot_left=frame.plot_left,
        plot_right=frame.plot_right,
        plot_top=top,
        baseline=frame.baseline,
        axis_x=frame.axis_x,
        axis_anchor=frame.axis_anchor,
        bars=bars,
        ticks=frame.ticks,
    )


# -- Shares (breakdowns by medium, gender...) ------------------------------------------------


@dataclass
class ShareRow:
    key: str
    label: str
    count: int
    percent: int
    bar: float  # 0-100, relative to the largest row, for a small bar beside the number
    part_of: str = ""  # the key of the row this one is a part of (shown indented under it)
    group: bool = False  # a row that sums the rows that are part of it


def share_rows(counts: dict[str, int], labels: dict | None = None, *, total: int | None = None):
    """Rows for a breakdown table, largest first; `labels` maps stored values to words."""
    labels = labels or {}
    total = total if total is not None else sum(counts.values())
    largest = max(counts.values(), default=0)
    rows = [
        ShareRow(
            key=key,
            label=str(labels.get(key, key)),
            count=count,
            percent=round(100 * count / total) if total else 0,
            bar=round(100 * count / largest, 1) if largest else 0,
        )
        for key, count in counts.items()
    ]
    rows.sort(key=lambda row: (-row.count, row.label))
    return rows


def status_rows(counts: dict[str, int], labels: dict, *, total: int, unresolved_label: str):
    """The breakdown by judicial status, with the statuses that count as unresolved grouped
    under one row whose share is the headline's: "Unresolved" on a badge is one of three kinds
    of unresolved case, and the table must not read as if it were the whole."""
    rows = {row.key: row for row in share_rows(counts, labels, total=total)}
    kinds = ["unresolved", "noinfo", "partial"]
    count = sum(rows[key].count for key in kinds if key in rows)
    largest = max([count, *(row.count for row in rows.values())], default=0)
    grouped = [
        ShareRow(
            key="counted-unresolved",
            label=str(unresolved_label),
            count=count,
            percent=round(100 * count / total) if total else 0,
            bar=round(100 * count / largest, 1) if largest else 0,
            group=True,
        )
    ]
    for key in [*kinds, "justice"]:
        if key in rows:
            row = rows[key]
            row.bar = round(100 * row.count / largest, 1) if largest else 0
            row.part_of = "counted-unresolved" if key in kinds else ""
            grouped.append(row)
    return grouped if rows else []


# -- World map -----------------------------------------------------------------------------

# Upper bounds of the shading classes; the last class is "this many or more".
MAP_THRESHOLDS = [1, 5, 20, 50, 100]


@cache
def world_map_data() -> dict:
    """The simplified world map shipped in cases/data/ (see build_world_map.py)."""
    with WORLD_MAP_JSON.open(encoding="utf-8") as handle:
        return json.load(handle)


@dataclass
class MapCountry:
    code: str
    path: str
    killed: int
    shade: int  # 0 = no case, then one class per MAP_THRESHOLDS step


@dataclass
class MapLegendItem:
    shade: int
    low: int
    high: int | None  # None for the open-ended last class


def shade_for(killed: int) -> int:
    if killed <= 0:
        return 0
    return sum(1 for threshold in MAP_THRESHOLDS if killed >= threshold)


def world_map(killed_by_country: dict[str, int]) -> tuple[str, list[MapCountry]]:
    """(viewBox, countries) with each shape shaded by the number of cases in that country."""
    data = world_map_data()
    shapes = [
        MapCountry(code, path, killed_by_country.get(code, 0), 0)
        for code, path in data["countries"].items()
    ]
    for shape in shapes:
        shape.shade = shade_for(shape.killed)
    return data["viewBox"], shapes


def map_legend() -> list[MapLegendItem]:
    bounds = [*MAP_THRESHOLDS, None]
    return [
        MapLegendItem(shade=index + 1, low=low, high=(high - 1) if high else None)
        for index, (low, high) in enumerate(zip(MAP_THRESHOLDS, bounds[1:], strict=True))
    ]
