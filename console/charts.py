"""Charts drawn on the server as SVG: no JavaScript, no build step, readable without CSS.

`daily_chart` returns numbers already placed on a fixed canvas; the template
`console/_chart.svg.html` only draws them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from console.selectors import DayCount

WIDTH = 720
HEIGHT = 240
LEFT = 40  # room for the y-axis labels
BOTTOM = 24  # room for the date labels
TOP = 10
RIGHT = 10


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    line: str  # SVG polyline points of the sign-ins series
    points: tuple[tuple[float, float, str], ...]  # (x, y, title) of each sign-ins point
    bars: tuple[Bar, ...]  # auto-provisioned accounts
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    left: int
    right: int
    total_sign_ins: int
    total_provisioned: int


def _nice_ceiling(value: int) -> int:
    """Return a round number at or above `value` for the top of the axis (1, 2, 5 x 10^n)."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def daily_chart(days: Sequence[DayCount]) -> Chart:
    """Return the sign-ins line and the auto-provisioned bars of `days`, scaled to one axis."""
    top = _nice_ceiling(max([d.sign_ins for d in days] + [d.provisioned for d in days] + [0]))
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(days), 1)

    def y_of(value: int) -> float:
        return round(TOP + plot_height - plot_height * value / top, 1)

    points = []
    bars = []
    for index, day in enumerate(days):
        centre = LEFT + slot * index + slot / 2
        label = day.day.isoformat()
        points.append((round(centre, 1), y_of(day.sign_ins), f"{label}: {day.sign_ins} sign-ins"))
        if day.provisioned:
            bar_width = max(slot * 0.6, 1)
            bars.append(
                Bar(
                    x=round(centre - bar_width / 2, 1),
                    y=y_of(day.provisioned),
                    width=round(bar_width, 1),
                    height=round(TOP + plot_height - y_of(day.provisioned), 1),
                    title=f"{label}: {day.provisioned} auto-provisioned",
                )
            )
    # Quarters when they are whole numbers, else halves, else just 0 and the top.
    parts = next(n for n in (4, 2, 1) if top % n == 0)
    y_ticks = tuple(
        Tick(position=y_of(top * i // parts), label=f"{top * i // parts:,}")
        for i in range(parts + 1)
    )
    x_ticks = tuple(
        Tick(position=round(LEFT + slot * i + slot / 2, 1), label=days[i].day.strftime("%d %b"))
        for i in range(0, len(days), 7)
    )
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        line=" ".join(f"{x},{y}" for x, y, _ in points),
        points=tuple(points),
        bars=tuple(bars),
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        left=LEFT,
        right=WIDTH - RIGHT,
        total_sign_ins=sum(d.sign_ins for d in days),
        total_provisioned=sum(d.provisioned for d in days),
    )
