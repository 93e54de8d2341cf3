"""Small SVG charts rendered in Python (lines and stacked bars), for the admin dashboard.

Pure functions: labels and series in, an SVG document out. Every text is XML-escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal
from xml.sax.saxutils import escape

PALETTE = ("#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#475569")


@dataclass(frozen=True)
class Series:
    """One named series; ``None`` values leave a gap."""

    name: str
    values: Sequence[float | None]
    kind: Literal["line", "bar"] = "line"
    color: str | None = None


def _nice_step(span: float, ticks: int = 5) -> float:
    if span <= 0:
        return 1.0
    raw = span / ticks
    mag = 10.0 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def compact(v: float) -> str:
    """1234 → 1.2k, 2_500_000 → 2.5M."""
    a = abs(v)
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{v / div:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{v:.2f}".rstrip("0").rstrip(".") if a < 10 else f"{v:.0f}"


def render_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    y_format: Callable[[float], str] = compact,
    width: int = 640,
    height: int = 280,
) -> str:
    """An SVG chart: stacked bars (positive up, negative down) with lines drawn over them."""
    left, right, top, bottom = 64, 16, 52, 40
    pw, ph = width - left - right, height - top - bottom
    n = len(labels)
    bars = [s for s in series if s.kind == "bar"]
    lines = [s for s in series if s.kind == "line"]
    hi, lo = 0.0, 0.0
    for i in range(n):
        pos = sum(max(0.0, b.values[i] or 0.0) for b in bars)
        neg = sum(min(0.0, b.values[i] or 0.0) for b in bars)
        hi, lo = max(hi, pos), min(lo, neg)
    for s in lines:
        for v in s.values:
            if v is not None:
                hi, lo = max(hi, v), min(lo, v)
    step = _nice_step(hi - lo)
    y_max = math.ceil(hi / step) * step if hi > 0 else 0.0
    y_min = math.floor(lo / step) * step if lo < 0 else 0.0
    if y_max == y_min:
        y_max = y_min + step

    def y(v: float) -> float:
        return top + ph * (1 - (v - y_min) / (y_max - y_min))

    slot = pw / max(n, 1)

    def x(i: int) -> float:
        return left + slot * (i + 0.5)

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" font-family="sans-serif">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{left}" y="20" font-size="15" font-weight="bold" fill="#111827">{escape(title)}</text>',
    ]
    # legend
    lx = left
    for idx, s in enumerate(series):
        color = s.color or PALETTE[idx % len(PALETTE)]
        out.append(f'<rect x="{lx}" y="30" width="10" height="10" fill="{color}"/>')
        out.append(f'<text x="{lx + 14}" y="39" font-size="11" fill="#374151">{escape(s.name)}</text>')
        lx += 24 + 7 * len(s.name)
    # grid and y axis
    v = y_min
    while v <= y_max + step / 2:
        yy = y(v)
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#e5e7eb"/>')
        out.append(
            f'<text x="{left - 6}" y="{yy + 4:.1f}" font-size="10" text-anchor="end" fill="#6b7280">'
            f"{escape(y_format(v))}</text>"
        )
        v += step
    out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="#9ca3af"/>')
    # x labels (at most ~8)
    every = max(1, math.ceil(n / 8))
    for i in range(0, n, every):
        out.append(
            f'<text x="{x(i):.1f}" y="{top + ph + 16}" font-size="10" text-anchor="middle" fill="#6b7280">'
            f"{escape(labels[i])}</text>"
        )
    # stacked bars
    bw = max(1.0, slot * 0.7)
    for i in range(n):
        up, down = 0.0, 0.0
        for idx, s in enumerate(series):
            if s.kind != "bar":
                continue
            val: float = s.values[i] or 0.0
            if val == 0:
                continue
            color = s.color or PALETTE[idx % len(PALETTE)]
            if val > 0:
                y0, y1 = y(up + val), y(up)
                up += val
            else:
                y0, y1 = y(down), y(down + val)
                down += val
            out.append(
                f'<rect class="bar" x="{x(i) - bw / 2:.1f}" y="{y0:.1f}" width="{bw:.1f}" '
                f'height="{max(0.5, y1 - y0):.1f}" fill="{color}"><title>{escape(s.name)} {escape(labels[i])}: '
                f"{escape(y_format(val))}</title></rect>"
            )
    # lines
    for idx, s in enumerate(series):
        if s.kind != "line":
            continue
        color = s.color or PALETTE[idx % len(PALETTE)]
        segments: list[list[str]] = [[]]
        for i, point in enumerate(s.values):
            if point is None:
                segments.append([])
            else:
                segments[-1].append(f"{x(i):.1f},{y(point):.1f}")
        for seg in segments:
            if len(seg) == 1:
                cx, cy = seg[0].split(",")
                out.append(f'<circle class="point" cx="{cx}" cy="{cy}" r="2.5" fill="{color}"/>')
            elif seg:
                out.append(
                    f'<polyline class="line" fill="none" stroke="{color}" stroke-width="2" points="{" ".join(seg)}"/>'
                )
    if n == 0:
        out.append(
            f'<text x="{left + pw / 2}" y="{top + ph / 2}" text-anchor="middle" fill="#9ca3af">no data in range</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def usd_from_cents(v: float) -> str:
    return ("-$" if v < 0 else "$") + compact(abs(v) / 100)


def percent(v: float) -> str:
    return f"{v * 100:.0f}%"
