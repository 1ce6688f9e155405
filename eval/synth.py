"""Generate a labelled, realistic (non-MNIST-looking) set of digit images, deterministically.

    python eval/synth.py --out /tmp/realworld --per-family 250 --seed 1

Families (see eval/README.md): ``font`` (printed), ``stroke`` (paint program / HTML canvas),
``photo`` (phone photo of MNIST *test* handwriting), ``scan`` (flatbed scan of the same), ``faint``
(light ballpoint, pencil, washed-out photos), ``thin`` (1-3 px pen on a large canvas), ``blur``
(small blurry photo crops) and ``offcentre`` (a small drawing anywhere on an empty canvas). All eight
by default. Image ``i`` of a family depends only on the seed, the family and ``i``, so a smaller run
is a prefix of a larger one. Writes the images and ``labels.csv`` (file, label, family, params as JSON).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval import (
    family_blur,
    family_faint,
    family_font,
    family_mnist,
    family_offcentre,
    family_stroke,
    family_thin,
)
from eval.compose import Rendered
from eval.family_blur import make_blur
from eval.family_faint import make_faint
from eval.family_font import DEFAULT_FONT_DIR, find_fonts, make_font
from eval.family_mnist import MnistPool, make_photo, make_scan
from eval.family_offcentre import make_offcentre
from eval.family_stroke import make_stroke
from eval.family_thin import make_thin
from eval.labels import Sample, write_labels

# A family's place in this tuple seeds its images: new families go at the end, so old ones keep theirs.
FAMILIES = ("font", "stroke", "photo", "scan", "faint", "thin", "blur", "offcentre")
FROM_MNIST = ("photo", "scan", "faint", "thin", "blur")  # drawn from MNIST test digits
SIDE_RANGES = {  # px: every canvas side of a family lies in this range (before --max-side)
    "font": family_font.SIDES,
    "stroke": family_stroke.SIDES,
    "photo": family_mnist.SIDES,
    "scan": family_mnist.SIDES,
    "faint": family_faint.SIDES,
    "thin": family_thin.SIDES,
    "blur": family_blur.SIDES,
    "offcentre": family_offcentre.SIDES,
}
Maker = Callable[[np.random.Generator, int, int | None], Rendered]


def makers(families: Sequence[str], font_dir: Path, mnist_dir: Path) -> dict[str, Maker]:
    """One image maker per chosen family, bound to the fonts or MNIST test digits it draws from."""
    unknown = sorted(set(families) - set(FAMILIES))
    if unknown:
        raise ValueError(f"unknown families {unknown}; choose from {FAMILIES}")
    chosen: dict[str, Maker] = {}
    if "font" in families:
        fonts = find_fonts(font_dir)
        if not fonts:
            raise ValueError(f"no TrueType font with ten distinct digits under {font_dir}")
        chosen["font"] = partial(make_font, fonts)
    chosen |= {"stroke": make_stroke, "offcentre": make_offcentre}
    if set(FROM_MNIST) & set(families):
        pool = MnistPool.load(mnist_dir)
        mnist_makers = (make_photo, make_scan, make_faint, make_thin, make_blur)
        chosen |= {
            family: partial(maker, pool) for family, maker in zip(FROM_MNIST, mnist_makers, strict=True)
        }
    return {family: chosen[family] for family in FAMILIES if family in families}


def encode(rendered: Rendered) -> bytes:
    """The image's file bytes in its chosen format (JPEG quality as drawn; PNG fully compressed)."""
    buffer = io.BytesIO()
    if rendered.fmt == "JPEG":
        rendered.image.convert("RGB" if rendered.image.mode != "L" else "L").save(
            buffer, "JPEG", quality=rendered.quality
        )
    else:
        rendered.image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def save(out: Path, stem: str, rendered: Rendered) -> tuple[str, dict[str, object]]:
    """Write the image as ``out/stem.png`` or ``.jpg``; return its file name and its params for
    ``labels.csv`` (size, mode, what was drawn, JPEG quality)."""
    name = f"{stem}.{'jpg' if rendered.fmt == 'JPEG' else 'png'}"
    (out / name).write_bytes(encode(rendered))
    params = {"size": list(rendered.image.size), "mode": rendered.image.mode, **rendered.params}
    if rendered.quality is not None:
        params["quality"] = rendered.quality
    return name, params


def generate(
    out: Path, per_family: int, seed: int, families: dict[str, Maker], max_side: int | None = None
) -> list[Sample]:
    """Write ``per_family`` images of each family into ``out`` plus ``labels.csv``; return its rows."""
    out.mkdir(parents=True, exist_ok=True)
    samples = []
    for family, maker in families.items():
        for i in range(per_family):
            label = i % 10
            rendered = maker(np.random.default_rng([seed, FAMILIES.index(family), i]), label, max_side)
            file, params = save(out, f"{family}-{i:05d}", rendered)
            samples.append(Sample(file, label, family, params))
    write_labels(out, samples)
    return samples


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write images and labels.csv into")
    parser.add_argument("--per-family", type=int, default=100, help="images per family (labels cycle 0-9)")
    parser.add_argument("--seed", type=int, default=0, help="random seed; same seed, same images")
    parser.add_argument("--families", default=",".join(FAMILIES), help="comma-separated subset of families")
    parser.add_argument(
        "--max-side", type=int, default=None, help="cap on canvas sides in px (default: none)"
    )
    parser.add_argument("--font-dir", type=Path, default=DEFAULT_FONT_DIR, help="where to look for *.ttf")
    parser.add_argument(
        "--mnist-dir",
        type=Path,
        default=None,
        help="folder with the MNIST test IDX files (default $MNIST_DIR)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    mnist_dir = args.mnist_dir or Path(os.environ.get("MNIST_DIR", "data/mnist"))
    chosen = [f.strip() for f in args.families.split(",") if f.strip()]
    try:
        families = makers(chosen, args.font_dir, mnist_dir)
    except (ValueError, OSError) as exc:
        raise SystemExit(f"error: {exc}") from exc
    rows = generate(args.out, args.per_family, args.seed, families, args.max_side)
    print(f"wrote {len(rows)} images to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
