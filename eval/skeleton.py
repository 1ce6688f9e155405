"""The centre-lines of a handwritten digit: thin a binary image to a one-pixel skeleton and trace it
into smooth pen paths, so an MNIST digit can be redrawn with a thin pen at any size.

:func:`thin` is Zhang and Suen's thinning (1984); :func:`untangle` drops the corner pixels it leaves
on diagonal runs; :func:`trace` follows the skeleton from end or junction to end or junction (and
round closed loops), dropping short spurs, and smooths each path.
"""

from __future__ import annotations

import numpy as np

# The 8 neighbours P2..P9 of Zhang and Suen, clockwise from north, as (dy, dx).
RING = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))
Pixel = tuple[int, int]


def thin(binary: np.ndarray) -> np.ndarray:
    """The one-pixel-wide skeleton of a boolean ``[H, W]`` image (Zhang-Suen thinning)."""
    img = np.pad(binary.astype(np.uint8), 1)
    changed = True
    while changed:
        changed = False
        for step in (0, 1):
            p = [np.roll(img, (-dy, -dx), axis=(0, 1)) for dy, dx in RING]
            count = sum(p)
            crossings = sum((p[i] == 0) & (p[(i + 1) % 8] == 1) for i in range(8))
            if step == 0:
                clear = (p[0] * p[2] * p[4] == 0) & (p[2] * p[4] * p[6] == 0)
            else:
                clear = (p[0] * p[2] * p[6] == 0) & (p[0] * p[4] * p[6] == 0)
            remove = (img == 1) & (count >= 2) & (count <= 6) & (crossings == 1) & clear
            if remove.any():
                img[remove] = 0
                changed = True
    return img[1:-1, 1:-1].astype(bool)


def neighbours(pixels: set[Pixel], p: Pixel) -> list[Pixel]:
    return [(p[0] + dy, p[1] + dx) for dy, dx in RING if (p[0] + dy, p[1] + dx) in pixels]


def untangle(skeleton: np.ndarray) -> set[Pixel]:
    """The skeleton's pixels without the elbows that thinning leaves on staircases and corners: a pixel
    with a neighbour beside it and one above or below it goes when its neighbours still touch each
    other without it (so nothing comes apart)."""
    pixels: set[Pixel] = {(int(y), int(x)) for y, x in zip(*np.nonzero(skeleton), strict=True)}
    for p in sorted(pixels):
        near = neighbours(pixels, p)
        beside = any(q[0] == p[0] for q in near) and any(q[1] == p[1] for q in near)
        if len(near) >= 2 and beside and _connected(set(near)):
            pixels.discard(p)
    return pixels


def _connected(group: set[Pixel]) -> bool:
    """Whether the pixels form one 8-connected piece."""
    start = next(iter(group))
    reached, frontier = {start}, [start]
    while frontier:
        for q in neighbours(group, frontier.pop()):
            if q not in reached:
                reached.add(q)
                frontier.append(q)
    return reached == group


def trace(pixels: set[Pixel], min_spur: int = 4, window: int = 2) -> list[np.ndarray]:
    """Pen paths ``[N, 2]`` (x, y) through the skeleton, smoothed by a moving average of ``2 window + 1``
    points with the ends kept; spurs of fewer than ``min_spur`` pixels that end free are dropped."""
    nodes = {p for p in pixels if len(neighbours(pixels, p)) != 2}
    seen: set[frozenset[Pixel]] = set()
    paths = []
    starts = sorted(nodes) + sorted(pixels - nodes)  # ends and junctions first, then pure loops
    for start in starts:
        for step in neighbours(pixels, start):
            if frozenset((start, step)) in seen:
                continue
            chain = walk(pixels, nodes, seen, start, step)
            free_end = len(neighbours(pixels, chain[0])) == 1 or len(neighbours(pixels, chain[-1])) == 1
            if len(chain) >= min_spur or not free_end or len(pixels) < 2 * min_spur:
                paths.append(smooth(np.array([(x, y) for y, x in chain], dtype=np.float64), window))
    return paths


def walk(
    pixels: set[Pixel], nodes: set[Pixel], seen: set[frozenset[Pixel]], start: Pixel, step: Pixel
) -> list[Pixel]:
    """Follow the skeleton from ``start`` through ``step`` to the next end, junction or back to start."""
    chain, previous, current = [start], start, step
    seen.add(frozenset((start, step)))
    chain.append(current)
    while current not in nodes and current != start:
        onward = [
            q for q in neighbours(pixels, current) if q != previous and frozenset((current, q)) not in seen
        ]
        if not onward:
            break
        previous, current = current, onward[0]
        seen.add(frozenset((previous, current)))
        chain.append(current)
    return chain


def smooth(path: np.ndarray, window: int) -> np.ndarray:
    """A moving average of the interior points; the two ends stay where they are."""
    if len(path) <= 2 or window < 1:
        return path
    padded = np.concatenate([np.repeat(path[:1], window, 0), path, np.repeat(path[-1:], window, 0)])
    kernel = np.ones(2 * window + 1) / (2 * window + 1)
    out = np.stack([np.convolve(padded[:, k], kernel, mode="valid") for k in range(2)], axis=1)
    out[0], out[-1] = path[0], path[-1]
    return out
