"""Digits as strokes, and two ways to draw them on the page's pad: a mouse, or a finger (touch).

A stroke is a list of points in fractions of the pad's side, so the same digit is drawn the same
way whatever size the pad has on screen. :func:`draw_number_with_mouse` writes a whole number on
Number mode's wide pad, each digit from :data:`NUMBER_DIGITS` in a box of its own, left to right.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

Stroke = list[tuple[float, float]]


def _oval(cx: float, cy: float, rx: float, ry: float, steps: int = 36) -> Stroke:
    """A closed loop drawn anticlockwise from the top, like most people write a 0."""
    return [
        (cx - rx * math.sin(2 * math.pi * i / steps), cy - ry * math.cos(2 * math.pi * i / steps))
        for i in range(steps + 2)
    ]


DIGITS: dict[int, list[Stroke]] = {
    7: [[(0.28, 0.22), (0.72, 0.22)], [(0.72, 0.22), (0.58, 0.5), (0.44, 0.8)]],
    0: [_oval(0.5, 0.5, 0.19, 0.29)],
    1: [[(0.54, 0.18), (0.52, 0.5), (0.5, 0.82)]],
}


# Digits for numbers, in a unit box (x right, y down), written the way people write them fast: a 4
# whose strokes cross, a 2 and a 3 in one movement.
NUMBER_DIGITS: dict[str, list[Stroke]] = {
    "0": [_oval(0.5, 0.5, 0.42, 0.5)],
    "1": [[(0.3, 0.15), (0.6, 0.0), (0.6, 1.0)]],
    "2": [[(0.08, 0.25), (0.3, 0.03), (0.7, 0.03), (0.9, 0.28), (0.75, 0.55), (0.1, 0.97), (0.95, 0.97)]],
    "3": [[(0.1, 0.08), (0.5, 0.0), (0.85, 0.2), (0.5, 0.47), (0.9, 0.7), (0.65, 1.0), (0.1, 0.92)]],
    "4": [[(0.65, 0.0), (0.05, 0.65), (0.98, 0.65)], [(0.7, 0.25), (0.7, 1.0)]],
}
NUMBER_HEIGHT = 0.6  # of the pad's height: each digit's height...
NUMBER_WIDTH = 0.45  # ...and width, and the gap between digits, in digit heights
NUMBER_GAP = 0.3


def number_strokes(text: str, aspect: float) -> list[Stroke]:
    """The strokes of ``text`` in fractions of a pad ``aspect`` times as wide as tall (x of width)."""
    height, width, gap = NUMBER_HEIGHT, NUMBER_WIDTH * NUMBER_HEIGHT, NUMBER_GAP * NUMBER_HEIGHT
    total = len(text) * width + (len(text) - 1) * gap
    left, top = (aspect - total) / 2, (1 - height) / 2
    strokes = []
    for k, digit in enumerate(text):
        x0 = left + k * (width + gap)
        for stroke in NUMBER_DIGITS[digit]:
            strokes.append([((x0 + x * width) / aspect, top + y * height) for x, y in stroke])
    return strokes


def draw_number_with_mouse(page: Page, text: str) -> None:
    """Write ``text`` on the pad, which may be wider than tall (Number mode)."""
    box = page.locator("#pad").bounding_box()
    assert box is not None, "the drawing pad is not visible"
    for stroke in number_strokes(text, box["width"] / box["height"]):
        points = [
            (box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in _along(stroke, 0.01)
        ]
        page.mouse.move(*points[0])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(x, y)
        page.mouse.up()


def _corner_and_side(page: Page) -> tuple[float, float, float]:
    box = page.locator("#pad").bounding_box()
    assert box is not None, "the drawing pad is not visible"
    return box["x"], box["y"], box["width"]


def _along(stroke: Stroke, spacing: float = 0.025) -> Stroke:
    """The stroke with points at most ``spacing`` apart between its corners: a hand moves smoothly."""
    points = [stroke[0]]
    for (x0, y0), (x1, y1) in itertools.pairwise(stroke):
        steps = max(1, math.ceil(math.hypot(x1 - x0, y1 - y0) / spacing))
        points += [(x0 + (x1 - x0) * t / steps, y0 + (y1 - y0) * t / steps) for t in range(1, steps + 1)]
    return points


def draw_with_mouse(page: Page, strokes: list[Stroke]) -> None:
    left, top, side = _corner_and_side(page)
    for stroke in strokes:
        points = [(left + x * side, top + y * side) for x, y in _along(stroke)]
        page.mouse.move(*points[0])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(x, y)
        page.mouse.up()


def draw_with_finger(page: Page, strokes: list[Stroke]) -> None:
    """Touch events through the DevTools protocol: Chromium turns them into touch pointer events."""
    left, top, side = _corner_and_side(page)
    cdp = page.context.new_cdp_session(page)
    for stroke in strokes:
        points = [{"x": left + x * side, "y": top + y * side} for x, y in _along(stroke)]
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [points[0]]})
        for point in points[1:]:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()
