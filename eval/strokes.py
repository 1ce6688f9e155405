"""Pen-stroke templates of the ten digits in a unit box, with the common ways people write each.

A template is a tuple of strokes; a stroke is ``(kind, points)`` with ``x`` to the right and ``y``
down, both in ``[0, 1]``. ``line`` strokes join their points with straight segments (corners kept),
``curve`` strokes pass a smooth spline through them, ``loop`` strokes are closed smooth curves.
Strokes that share a point stay joined after jitter, because jitter is a smooth displacement field.
"""

from __future__ import annotations

import math
from typing import Literal

Point = tuple[float, float]
Stroke = tuple[Literal["line", "curve", "loop"], tuple[Point, ...]]
Template = tuple[Stroke, ...]


def _ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 8) -> tuple[Point, ...]:
    return tuple(
        (cx + rx * math.sin(2 * math.pi * i / n), cy - ry * math.cos(2 * math.pi * i / n)) for i in range(n)
    )


TEMPLATES: dict[int, tuple[Template, ...]] = {
    0: (
        (("loop", _ellipse(0.5, 0.5, 0.42, 0.5)),),
        (("loop", _ellipse(0.5, 0.5, 0.36, 0.5, n=10)),),
    ),
    1: (
        (("line", ((0.5, 0.0), (0.5, 1.0))),),
        (("line", ((0.3, 0.17), (0.55, 0.0), (0.55, 1.0))),),
        (("line", ((0.3, 0.17), (0.55, 0.0), (0.55, 1.0))), ("line", ((0.25, 1.0), (0.85, 1.0)))),
    ),
    2: (
        (
            (
                "curve",
                ((0.1, 0.25), (0.35, 0.02), (0.7, 0.03), (0.88, 0.27), (0.7, 0.55), (0.35, 0.8), (0.06, 1.0)),
            ),
            ("line", ((0.06, 1.0), (0.95, 1.0))),
        ),
        (
            ("curve", ((0.12, 0.2), (0.5, 0.0), (0.85, 0.25), (0.55, 0.65), (0.2, 0.9), (0.1, 1.0))),
            ("curve", ((0.1, 1.0), (0.2, 0.88), (0.45, 0.92), (0.7, 1.0), (0.95, 0.97))),
        ),
    ),
    3: (
        (
            ("curve", ((0.12, 0.12), (0.5, 0.0), (0.85, 0.22), (0.45, 0.47))),
            ("curve", ((0.45, 0.47), (0.9, 0.7), (0.6, 1.0), (0.1, 0.88))),
        ),
        (
            ("line", ((0.1, 0.0), (0.85, 0.0), (0.42, 0.42))),
            ("curve", ((0.42, 0.42), (0.88, 0.58), (0.75, 0.95), (0.1, 0.9))),
        ),
    ),
    4: (
        (("line", ((0.62, 0.0), (0.05, 0.68), (0.95, 0.68))), ("line", ((0.68, 0.3), (0.68, 1.0)))),
        (("line", ((0.18, 0.0), (0.1, 0.55), (0.92, 0.55))), ("line", ((0.75, 0.0), (0.75, 1.0)))),
    ),
    5: (
        (
            ("line", ((0.85, 0.0), (0.2, 0.0), (0.14, 0.45))),
            ("curve", ((0.14, 0.45), (0.5, 0.36), (0.86, 0.58), (0.78, 0.88), (0.45, 1.0), (0.08, 0.88))),
        ),
        (
            ("line", ((0.2, 0.02), (0.14, 0.45))),
            ("curve", ((0.14, 0.45), (0.55, 0.38), (0.88, 0.65), (0.55, 1.0), (0.1, 0.9))),
            ("line", ((0.2, 0.02), (0.88, 0.0))),
        ),
    ),
    6: (
        (
            (
                "curve",
                (
                    (0.8, 0.04),
                    (0.42, 0.02),
                    (0.15, 0.42),
                    (0.14, 0.78),
                    (0.45, 1.0),
                    (0.82, 0.8),
                    (0.74, 0.52),
                    (0.4, 0.5),
                    (0.16, 0.7),
                ),
            ),
        ),
        (("line", ((0.7, 0.0), (0.2, 0.62))), ("loop", _ellipse(0.48, 0.75, 0.32, 0.25))),
    ),
    7: (
        (("line", ((0.05, 0.0), (0.95, 0.0), (0.35, 1.0))),),
        (("line", ((0.05, 0.0), (0.95, 0.0), (0.35, 1.0))), ("line", ((0.3, 0.5), (0.82, 0.5)))),
        (
            ("line", ((0.08, 0.15), (0.1, 0.0), (0.92, 0.0))),
            ("curve", ((0.92, 0.0), (0.6, 0.45), (0.45, 1.0))),
        ),
    ),
    8: (
        (
            (
                "curve",
                (
                    (0.5, 0.47),
                    (0.16, 0.25),
                    (0.5, 0.0),
                    (0.84, 0.25),
                    (0.5, 0.47),
                    (0.1, 0.76),
                    (0.5, 1.0),
                    (0.9, 0.76),
                    (0.5, 0.47),
                ),
            ),
        ),
        (("loop", _ellipse(0.5, 0.24, 0.3, 0.24)), ("loop", _ellipse(0.5, 0.73, 0.4, 0.27))),
    ),
    9: (
        (("loop", _ellipse(0.48, 0.27, 0.36, 0.27)), ("line", ((0.84, 0.22), (0.8, 1.0)))),
        (
            ("curve", ((0.85, 0.28), (0.55, 0.0), (0.15, 0.15), (0.2, 0.48), (0.6, 0.5), (0.85, 0.28))),
            ("curve", ((0.85, 0.28), (0.82, 0.7), (0.5, 1.0), (0.18, 0.9))),
        ),
    ),
}
