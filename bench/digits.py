"""The benchmark's sample digits: real MNIST test images, committed as PNGs under ``bench/data/``.

``python -m bench.digits`` (re)creates them from the IDX files in ``$MNIST_DIR``; everything else only
reads the PNGs, so the benchmark and the locustfile run without the data set.
"""

from __future__ import annotations

import argparse
import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


@dataclass(frozen=True)
class Digit:
    label: int
    png: bytes
    pixels: list[list[int]]
    """The same image as a 28x28 list of 0-255 ints, for JSON requests."""


def load_digits(data_dir: Path = DATA_DIR) -> list[Digit]:
    """Every ``<index>-<label>.png`` in ``data_dir``, in index order."""
    paths = sorted(data_dir.glob("*.png"))
    if not paths:
        raise FileNotFoundError(f"no sample digits in {data_dir}; run: python -m bench.digits")
    digits = []
    for path in paths:
        data = path.read_bytes()
        pixels = np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=np.uint8)
        digits.append(Digit(int(path.stem.split("-")[1]), data, pixels.tolist()))
    return digits


def write_digits(mnist_dir: Path, out_dir: Path, count: int) -> None:
    """Save the first ``count`` MNIST test digits as ``<index>-<label>.png``."""
    from training.idx import load_images, load_labels

    images = load_images(mnist_dir / "t10k-images-idx3-ubyte.gz")[:count]
    labels = load_labels(mnist_dir / "t10k-labels-idx1-ubyte.gz")[:count]
    out_dir.mkdir(parents=True, exist_ok=True)
    for index, (image, label) in enumerate(zip(images, labels, strict=True)):
        Image.fromarray(image).save(out_dir / f"{index:04d}-{label}.png", optimize=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write MNIST test digits as PNGs for the benchmark.")
    parser.add_argument(
        "--mnist-dir",
        type=Path,
        default=Path(os.environ.get("MNIST_DIR", DEFAULT_MNIST)),
        help="directory with the MNIST IDX files (default: $MNIST_DIR or ../shared/data/mnist)",
    )
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="where to write the PNGs")
    parser.add_argument("--count", type=int, default=64, help="how many test digits to write")
    args = parser.parse_args(argv)
    write_digits(args.mnist_dir, args.out, args.count)
    print(f"wrote {args.count} digits to {args.out}")


if __name__ == "__main__":
    main()
