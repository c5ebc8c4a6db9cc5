"""Chart and map geometry: pure functions, no database."""

from cases.charts import (
    MAP_THRESHOLDS,
    WORLD_MAP_JSON,
    map_legend,
    nice_scale,
    shade_for,
    share_rows,
    stacked_bars,
    world_map,
)
from cases.figures import Breakdown


def years(*totals):
    return [
        Breakdown(2000 + i, {"unresolved": n, "justice": n // 2} if n else {})
        for i, n in enumerate(totals)
    ]


def test_nice_scale_rounds_up_to_a_readable_step():
    assert nice_scale(0) == (1, 1)
    assert nice_scale(7) == (8, 2)
    assert nice_scale(87) == (100, 50)
    assert nice_scale(1234) == (1500, 500)


def test_stacked_bars_stack_statuses_from_the_baseline_in_proportion():
    chart = stacked_bars(years(10, 0, 4))
    first = chart.bars[0]
    assert first.total == 15
    unresolved, justice = first.segments
    assert (unresolved.status, justice.status) == ("unresolved", "justice")
    assert round(unresolved.y + unresolved.height, 2) == chart.baseline
    assert round(justice.y + justice.height, 2) == round(unresolved.y, 2)
    assert abs(unresolved.height - 2 * justice.height) < 0.05
    assert chart.bars[1].segments == []
    assert chart.ticks[0].value == 0 and chart.ticks[0].y == chart.baseline


def test_stacked_bars_run_right_to_left_in_rtl_and_keep_the_axis_readable():
    ltr = stacked_bars(years(1, 2, 3))
    rtl = stacked_bars(years(1, 2, 3), rtl=True)
    assert ltr.bars[0].x < ltr.bars[-1].x
    assert rtl.bars[0].x > rtl.bars[-1].x
    assert (ltr.axis_anchor, rtl.axis_anchor) == ("end", "start")
    assert rtl.axis_x > rtl.bars[0].x


def test_stacked_bars_label_at_most_a_dozen_years_always_the_latest():
    chart = stacked_bars(years(*range(1, 35)))
    labelled = [bar for bar in chart.bars if bar.show_label]
    assert len(labelled) <= 12
    assert chart.bars[-1].show_label


def test_share_rows_sort_by_count_with_words_and_percentages():
    rows = share_rows({"male": 6, "female": 3, "": 1}, {"male": "Male", "female": "Female"})
    assert [(r.label, r.count, r.percent) for r in rows] == [
        ("Male", 6, 60),
        ("Female", 3, 30),
        ("", 1, 10),
    ]
    assert rows[0].bar == 100 and rows[1].bar == 50


def test_share_rows_can_use_a_total_larger_than_the_sum():
    rows = share_rows({"radio": 5, "print": 5}, total=8)
    assert [r.percent for r in rows] == [62, 62]


def test_world_map_has_every_large_country_and_stays_small():
    view_box, shapes = world_map({"MX": 3, "PH": 150})
    codes = {shape.code: shape for shape in shapes}
    for code in ["MX", "PH", "IQ", "SY", "BR", "RU", "US", "CN", "IN", "FR", "ZA", "AU"]:
        assert code in codes and codes[code].path.startswith("m")
    assert view_box == "0 0 1010 666"
    assert codes["MX"].shade == 1 and codes["PH"].shade == len(MAP_THRESHOLDS)
    assert codes["FR"].shade == 0
    assert WORLD_MAP_JSON.stat().st_size < 200_000


def test_map_shades_and_legend_agree():
    legend = map_legend()
    assert [(item.low, item.high) for item in legend] == [
        (1, 4),
        (5, 19),
        (20, 49),
        (50, 99),
        (100, None),
    ]
    for item in legend:
        assert shade_for(item.low) == item.shade
        if item.high:
            assert shade_for(item.high) == item.shade
    assert shade_for(0) == 0
