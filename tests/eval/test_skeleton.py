"""eval/skeleton.py: thinning leaves one-pixel lines, staircases lose their elbows, and tracing gives
smooth paths along the middle (a ring traces as one closed path)."""

from __future__ import annotations

import numpy as np

from eval import skeleton


def ring(size: int = 41, outer: float = 16, inner: float = 10) -> np.ndarray:
    ys, xs = np.mgrid[:size, :size] - size // 2
    radius = np.hypot(ys, xs)
    return (radius <= outer) & (radius >= inner)


def test_a_thick_bar_thins_to_a_line_along_its_middle() -> None:
    bar = np.zeros((20, 60), dtype=bool)
    bar[6:14, 5:55] = True

    thin = skeleton.thin(bar)

    columns = thin[:, 15:45]
    assert (columns.sum(axis=0) == 1).all(), "one pixel per column along the bar"
    assert set(np.nonzero(columns)[0].tolist()) <= {9, 10}, "in the middle of the bar"


def test_a_ring_traces_as_one_closed_smooth_path_at_its_middle_radius() -> None:
    paths = skeleton.trace(skeleton.untangle(skeleton.thin(ring())))

    assert len(paths) == 1, f"one closed path, got {len(paths)}"
    path = paths[0]
    assert np.allclose(path[0], path[-1], atol=1.5), "the path closes"
    radii = np.hypot(path[:, 0] - 20, path[:, 1] - 20)
    assert radii.min() >= 11.5 and radii.max() <= 14.5, (radii.min(), radii.max())


def test_untangle_drops_only_staircase_elbows() -> None:
    stair = np.zeros((5, 5), dtype=bool)
    stair[0, 0] = stair[0, 1] = stair[1, 1] = stair[1, 2] = stair[2, 2] = True

    kept = skeleton.untangle(stair)

    assert (0, 0) in kept and (2, 2) in kept, "the ends stay"
    assert len(kept) < 5, "elbows go"
    assert skeleton.trace(kept), "what is left still traces"


def test_smooth_keeps_the_ends() -> None:
    zigzag = np.array([[0, 0], [1, 1], [2, 0], [3, 1], [4, 0]], dtype=float)

    out = skeleton.smooth(zigzag, window=1)

    assert (out[0] == zigzag[0]).all() and (out[-1] == zigzag[-1]).all()
    assert np.ptp(out[1:-1, 1]) < np.ptp(zigzag[1:-1, 1]), "the wiggle shrinks"
