"""Generate a labelled set of written numbers (2-6 digits), deterministically from a seed.

    python eval/number_set.py --out /tmp/numbers --per-kind 100 --seed 1 --mnist-dir ../shared/data/mnist

Every number is drawn from one *source* of digits, laid out with one *spacing* (``eval/number_layout.py``:
``separated``, ``touching`` or ``overlapping``, on a baseline tilted by up to 5 degrees) and shown one
way:

- ``mnist``: handwriting from the MNIST **test** set (never the training set), pen-edged as the
  ``photo`` family does it, then photographed on paper (``eval/camera.py``) or scanned;
- ``stroke``: the pen-stroke templates of the ``stroke`` family, one pen per number, exported as a
  canvas or paint program would (``paint``) or photographed;
- ``font``: printed digits in one of the fonts of the ``font`` family, as a screen graphic or a
  photographed printout.

``--per-kind N`` makes N numbers for each spacing and source (9N in all). Number ``i`` of a kind
depends only on the seed, the kind and ``i``, so a smaller run is a prefix of a larger one. Writes the
images and ``numbers.csv`` (file, text, spacing, source, params as JSON); ``eval/number_score.py``
scores a model on them.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval.compose import Rendered
from eval.number_glyphs import SOURCES, Sources
from eval.number_layout import SPACINGS, Spacing, paste, positions
from eval.number_render import render
from eval.synth import save

LABELS_FILE = "numbers.csv"
COLUMNS = ("file", "text", "spacing", "source", "params")
LENGTHS = (2, 6)  # digits per number, both included


@dataclass(frozen=True)
class NumberSample:
    """One labelled number image: its file (relative to the folder), its digits and how it was made."""

    file: str
    text: str
    spacing: str
    source: str
    params: dict[str, object]


@dataclass(frozen=True)
class Layout:
    """A number before it is shown: its text, one ink mask per digit, where each goes, what was drawn."""

    text: str
    glyphs: list[Image.Image]
    lefts: list[int]
    tops: list[int]
    params: dict[str, object]

    def mask(self, only: int | None = None) -> Image.Image:
        """The number's ink mask; with ``only``, the same frame holding only that digit's ink."""
        glyphs = (
            self.glyphs
            if only is None
            else [g if k == only else _blank(g) for k, g in enumerate(self.glyphs)]
        )
        return paste(glyphs, self.lefts, self.tops)


def lay_out_number(sources: Sources, source: str, spacing: Spacing, rng: np.random.Generator) -> Layout:
    """Draw 2-6 random digits from ``source`` and lay them out with ``spacing``."""
    length = int(rng.integers(LENGTHS[0], LENGTHS[1] + 1))
    text = "".join(str(d) for d in rng.integers(0, 10, length))
    glyphs, pen_px, drawn = sources.glyphs(source, [int(c) for c in text], rng)
    lefts, tops, tilt = positions(glyphs, spacing, pen_px, rng)
    return Layout(text, glyphs, lefts, tops, {**drawn, "tilt": tilt, "lefts": lefts})


def number_rng(seed: int, spacing: Spacing, source: str, index: int) -> np.random.Generator:
    """The random state that draws number ``index`` of a spacing and source: it alone decides the number."""
    return np.random.default_rng([seed, SPACINGS.index(spacing), SOURCES.index(source), index])


def make_number(
    sources: Sources, source: str, spacing: Spacing, rng: np.random.Generator, max_side: int | None
) -> tuple[str, Rendered]:
    """Draw one number of 2-6 random digits: its text, and the picture with what was drawn."""
    layout = lay_out_number(sources, source, spacing, rng)
    rendered = render(layout.mask(), source, rng, max_side)
    rendered.params = {**layout.params, **rendered.params}
    return layout.text, rendered


def _blank(glyph: Image.Image) -> Image.Image:
    return Image.new("L", glyph.size, 0)


def generate(
    out: Path, per_kind: int, seed: int, sources: Sources, max_side: int | None = None
) -> list[NumberSample]:
    """Write ``per_kind`` numbers of each spacing and source into ``out`` plus ``numbers.csv``."""
    out.mkdir(parents=True, exist_ok=True)
    samples = []
    for spacing in SPACINGS:
        for source in SOURCES:
            for i in range(per_kind):
                rng = number_rng(seed, spacing, source, i)
                text, rendered = make_number(sources, source, spacing, rng, max_side)
                file, params = save(out, f"{spacing}-{source}-{i:05d}", rendered)
                samples.append(NumberSample(file, text, spacing, source, params))
    write_numbers(out, samples)
    return samples


def write_numbers(folder: Path, samples: Sequence[NumberSample]) -> None:
    with (folder / LABELS_FILE).open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for s in samples:
            writer.writerow(
                [s.file, s.text, s.spacing, s.source, json.dumps(s.params, separators=(",", ":"))]
            )


def read_numbers(folder: Path) -> list[NumberSample]:
    """Read ``folder/numbers.csv``; ``ValueError`` naming the file when its columns are not ours."""
    path = folder / LABELS_FILE
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f"{path}: expected columns {COLUMNS}, found {reader.fieldnames}")
        return [
            NumberSample(row["file"], row["text"], row["spacing"], row["source"], json.loads(row["params"]))
            for row in reader
        ]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write images and numbers.csv into")
    parser.add_argument("--per-kind", type=int, default=40, help="numbers per spacing and source (9 kinds)")
    parser.add_argument("--seed", type=int, default=0, help="random seed; same seed, same images")
    parser.add_argument(
        "--max-side", type=int, default=None, help="cap on canvas sides in px (default: none)"
    )
    parser.add_argument(
        "--font-dir", type=Path, default=Path("/usr/share/fonts"), help="where to look for *.ttf"
    )
    parser.add_argument(
        "--mnist-dir", type=Path, default=None, help="MNIST test IDX files (default $MNIST_DIR)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    mnist_dir = args.mnist_dir or Path(os.environ.get("MNIST_DIR", "data/mnist"))
    try:
        sources = Sources.load(mnist_dir, args.font_dir)
    except (ValueError, OSError) as exc:
        raise SystemExit(f"error: {exc}") from exc
    rows = generate(args.out, args.per_kind, args.seed, sources, args.max_side)
    print(f"wrote {len(rows)} numbers to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
