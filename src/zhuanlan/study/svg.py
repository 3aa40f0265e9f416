"""Charts drawn on the server as SVG: nothing loaded from a CDN, readable on a phone,
printable. Text is escaped; sizes come from the data, so a chart of 3 departments and one
of 300 both fit."""

from __future__ import annotations

from html import escape

PALETTE = ("#b91c1c", "#1d4ed8", "#15803d", "#b45309", "#6d28d9")
FONT = ('font-family="PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif" '
        'font-size="12"')


def bar_chart(rows: list[tuple[str, float]], *, title: str, unit: str = "%",
              max_value: float | None = None, width: int = 640) -> str:
    """Horizontal bars, one per (label, value), in the given order."""
    bar_h, gap, label_w, top = 18, 6, 170, 28
    height = top + len(rows) * (bar_h + gap) + 10
    top_value = max_value or max((v for _, v in rows), default=1.0) or 1.0
    span = width - label_w - 60
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="100%" role="img" aria-label="{escape(title)}" {FONT}>',
             f'<title>{escape(title)}</title>',
             f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>']
    for i, (label, value) in enumerate(rows):
        y = top + i * (bar_h + gap)
        w = max(0.0, min(1.0, value / top_value)) * span
        shown = f"{value:.0f}{unit}" if unit == "%" else f"{value:g}{unit}"
        parts.append(f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">'
                     f'{escape(_clip(label, 14))}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                     f'fill="{PALETTE[0]}" rx="2"><title>{escape(label)}：{shown}</title></rect>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 13}">{shown}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(labels: list[str], series: dict[str, list[float]], *, title: str,
               unit: str = "%", max_value: float | None = None, width: int = 640,
               height: int = 220) -> str:
    """Lines over a shared x axis (issues), one per series, with a legend."""
    left, right, top, bottom = 44, 12, 30, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for vs in series.values() for v in vs]
    top_value = max_value or max(values, default=1.0) or 1.0
    n = max(len(labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (1 - max(0.0, min(1.0, v / top_value)))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="100%" role="img" aria-label="{escape(title)}" {FONT}>',
             f'<title>{escape(title)}</title>',
             f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>']
    for frac in (0, 0.5, 1):
        gy = top + plot_h * (1 - frac)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{gy:.1f}" y2="{gy:.1f}" '
                     f'stroke="#e5e7eb"/>')
        parts.append(f'<text x="{left - 4}" y="{gy + 4:.1f}" text-anchor="end">'
                     f'{top_value * frac:.0f}{escape(unit)}</text>')
    step = max(1, len(labels) // 8)
    for i, label in enumerate(labels):
        if i % step == 0 or i == len(labels) - 1:
            parts.append(f'<text x="{x(i):.1f}" y="{height - bottom + 16}" '
                         f'text-anchor="middle">{escape(_clip(label, 8))}</text>')
    for k, (name, vs) in enumerate(series.items()):
        color = PALETTE[k % len(PALETTE)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(vs))
        if len(vs) > 1:
            parts.append(f'<polyline points="{points}" fill="none" stroke="{color}" '
                         f'stroke-width="2"/>')
        for i, v in enumerate(vs):
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{color}">'
                         f'<title>{escape(labels[i] if i < len(labels) else "")} '
                         f'{escape(name)}：{v:.0f}{escape(unit)}</title></circle>')
        lx = left + k * 130
        parts.append(f'<rect x="{lx}" y="{height - 14}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{lx + 14}" y="{height - 5}">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"
