"""Generate a labelled set of images that are not single digits, deterministically.

    python eval/nondigits.py --out /tmp/nondigits --per-kind 50 --seed 1 --mnist-dir ../shared/data/mnist

Kinds (see eval/README.md): ``letter``, ``shape``, ``number`` (2-4 digits), ``texture``, ``object``
(photos of a mug, a ball, a key), and the refusal cases ``blank``, ``uniform``, ``noise`` and
``low-contrast``. Writes the images and a ``labels.csv`` in the generated format (file, label,
family, params as JSON) with ``label`` -1 and the kind in ``family``. Image ``i`` of a kind depends
only on the seed, the kind and ``i``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval import nondigit_fields as fields
from eval.compose import Rendered
from eval.family_font import DEFAULT_FONT_DIR, find_fonts
from eval.family_mnist import MnistPool
from eval.labels import NOT_A_DIGIT, Sample, write_labels
from eval.nondigit_objects import make_object
from eval.nondigit_shapes import make_shapes
from eval.nondigit_text import make_letter, make_number
from eval.synth import save

KINDS = ("letter", "shape", "number", "texture", "object", "blank", "uniform", "noise", "low-contrast")
REFUSAL_KINDS = ("blank", "uniform", "noise", "low-contrast")  # nothing to read: should be no_digit
SEED_TAG = 100  # keeps these seed streams apart from eval/synth.py's
Maker = Callable[[np.random.Generator, int | None], Rendered]


def makers(kinds: Sequence[str], font_dir: Path, mnist_dir: Path) -> dict[str, Maker]:
    """One image maker per chosen kind, bound to the fonts and MNIST test digits it needs."""
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown kinds {unknown}; choose from {KINDS}")
    chosen: dict[str, Maker] = {
        "shape": make_shapes,
        "texture": fields.make_texture,
        "object": make_object,
        "blank": fields.make_blank,
        "uniform": fields.make_uniform,
        "noise": fields.make_noise,
        "low-contrast": fields.make_low_contrast,
    }
    if {"letter", "number"} & set(kinds):
        fonts = find_fonts(font_dir)
        if not fonts:
            raise ValueError(f"no TrueType font with ten distinct digits under {font_dir}")
        chosen["letter"] = partial(make_letter, fonts)
        if "number" in kinds:
            chosen["number"] = partial(make_number, fonts, MnistPool.load(mnist_dir))
    return {kind: chosen[kind] for kind in KINDS if kind in kinds}


def generate(
    out: Path, per_kind: int, seed: int, kinds: dict[str, Maker], max_side: int | None = None
) -> list[Sample]:
    """Write ``per_kind`` images of each kind into ``out`` plus ``labels.csv``; return its rows."""
    out.mkdir(parents=True, exist_ok=True)
    samples = []
    for kind, maker in kinds.items():
        for i in range(per_kind):
            rendered = maker(np.random.default_rng([seed, SEED_TAG + KINDS.index(kind), i]), max_side)
            file, params = save(out, f"{kind}-{i:05d}", rendered)
            samples.append(Sample(file, NOT_A_DIGIT, kind, params))
    write_labels(out, samples)
    return samples


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write images and labels.csv into")
    parser.add_argument("--per-kind", type=int, default=50, help="images per kind (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed; same seed, same images")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated subset of kinds")
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
    chosen = [k.strip() for k in args.kinds.split(",") if k.strip()]
    try:
        kinds = makers(chosen, args.font_dir, mnist_dir)
    except (ValueError, OSError) as exc:
        raise SystemExit(f"error: {exc}") from exc
    rows = generate(args.out, args.per_kind, args.seed, kinds, args.max_side)
    print(f"wrote {len(rows)} images to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
