"""Build cases/data/world_map.json from the @svg-maps/world package (CC BY 4.0, after MapSVG).

Run once when the source map changes; the generated JSON is committed, so the site needs no
npm, no tile server and no third-party request:

    cd /tmp && npm pack @svg-maps/world && tar xzf svg-maps-world-*.tgz
    .venv/bin/python cases/data/build_world_map.py /tmp/package/index.js

The source paths use only relative "m" (with implicit line-tos) and "z". We turn them into
absolute rings, simplify each ring with Douglas-Peucker, drop specks, round to one decimal and
write compact relative paths: about a quarter of the original weight.
"""

import itertools
import json
import re
import sys
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent / "world_map.json"
TOLERANCE = 0.35  # in viewBox units (the map is 1010 wide): invisible at page sizes
MIN_RING_AREA = 0.6  # square units; a country's largest ring is always kept
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def parse_rings(d: str) -> list[list[tuple[float, float]]]:
    rings: list[list[tuple[float, float]]] = []
    x = y = 0.0
    start = (0.0, 0.0)
    for command, args in re.findall(r"([mMzZ])([^mMzZ]*)", d):
        if command in "zZ":
            x, y = start
            continue
        numbers = [float(n) for n in NUMBER.findall(args)]
        ring = []
        for i in range(0, len(numbers) - 1, 2):
            dx, dy = numbers[i], numbers[i + 1]
            if command == "M" and i == 0:
                x, y = dx, dy
            else:
                x, y = x + dx, y + dy
            ring.append((x, y))
        start = ring[0]
        rings.append(ring)
    return rings


def simplify(points, tolerance):
    """Douglas-Peucker, iterative so that long coastlines do not hit the recursion limit."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        norm = (dx * dx + dy * dy) ** 0.5
        worst, index = 0.0, None
        for i in range(first + 1, last):
            px, py = points[i]
            if norm:
                distance = abs(dy * px - dx * py + x2 * y1 - y2 * x1) / norm
            else:
                distance = ((px - x1) ** 2 + (py - y1) ** 2) ** 0.5
            if distance > worst:
                worst, index = distance, i
        if index is not None and worst > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def area(ring) -> float:
    return (
        abs(
            sum(
                x1 * y2 - x2 * y1
                for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True)
            )
        )
        / 2
    )


def fmt(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


def to_path(rings) -> str:
    parts = []
    x = y = 0
    for ring in rings:
        # Work in tenths (integers) so that relative steps add up without drift.
        points = [(round(px * 10), round(py * 10)) for px, py in ring]
        deduped = [points[0]] + [p for p, q in zip(points[1:], points, strict=False) if p != q]
        steps = [f"m{fmt((deduped[0][0] - x) / 10)} {fmt((deduped[0][1] - y) / 10)}"]
        for (ax, ay), (bx, by) in itertools.pairwise(deduped):
            steps.append(f"{fmt((bx - ax) / 10)} {fmt((by - ay) / 10)}")
        parts.append(" ".join(steps).replace(" -", "-") + "z")
        x, y = deduped[0]
    return "".join(parts)


def build(source: Path) -> dict:
    text = source.read_text(encoding="utf-8")
    data = json.loads(text[text.index("{") : text.rindex("}") + 1])
    countries = {}
    for location in data["locations"]:
        rings = [simplify([*r, r[0]], TOLERANCE)[:-1] for r in parse_rings(location["path"])]
        rings = [r for r in rings if len(r) >= 3] or [max(parse_rings(location["path"]), key=len)]
        largest = max(rings, key=area)
        kept = [r for r in rings if r is largest or area(r) >= MIN_RING_AREA]
        countries[location["id"].upper()] = to_path(kept)
    return {
        "viewBox": data["viewBox"],
        "source": "@svg-maps/world 2.0.0 (after MapSVG), CC BY 4.0",
        "countries": dict(sorted(countries.items())),
    }


if __name__ == "__main__":
    result = build(Path(sys.argv[1]))
    OUTPUT.write_text(json.dumps(result, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(result['countries'])} shapes, {OUTPUT.stat().st_size // 1024} KB → {OUTPUT}")
