"""The ceiling of ``POST /read`` on a generated set: every number read with its digits' true ink.

    python eval/number_oracle.py --images /tmp/numbers --seed 2 --mnist-dir ../shared/data/mnist

``eval/number_set.py`` knows where each digit is. This regenerates every number of a set from its
seed and shows each digit alone the same way (the same random state: the same paper, camera, light
and noise), so the pixels where that picture differs from one without ink are the digit's true ink in
the picture as saved. The saved file is then read as ``/read`` reads it (decoded, its ink found),
except that each digit's 28x28 input is made from the ink under its true mask
(:func:`~service.images.preprocess.digit_input`), and the model reads those.

Beside the service's own reading (``eval/number_score.py``'s, offline), every miss is then either
the segmentation's (the oracle reads the number right) or the model's and the ink finding's (the
oracle misses it too): the table says how many of each, and of the segmentation's, how many lacked
the right reading among their candidates (the cuts' fault) and how many chose another (the choice's).
"""

from __future__ import annotations

import argparse
import copy
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval.number_glyphs import Sources
from eval.number_layout import SPACINGS
from eval.number_reading import Reading, read_offline
from eval.number_render import render
from eval.number_score import scores, table
from eval.number_set import NumberSample, lay_out_number, number_rng, read_numbers
from eval.pipeline import latest_model, onnx_predictor, softmax
from service.errors import ServiceError
from service.images.decode import decode_scaled
from service.images.ink import WORK_SIDE, find_ink
from service.images.preprocess import _sanitise, digit_input
from service.images.segment import number_candidates_bytes

ROOT = Path(__file__).resolve().parents[1]
INK_SHARE = 0.3  # a pixel is the digit's where its picture differs by this share of the most it does


def true_masks(sources: Sources, sample: NumberSample, seed: int, max_side: int | None) -> list[np.ndarray]:
    """Each digit's ink in the saved picture of ``sample`` (boolean, the picture's size), left to right.
    Raises ``ValueError`` when the regenerated number is not the sample's (another seed or set)."""
    index = int(Path(sample.file).stem.rsplit("-", 1)[1])
    rng = number_rng(seed, sample.spacing, sample.source, index)  # type: ignore[arg-type]
    layout = lay_out_number(sources, sample.source, sample.spacing, rng)  # type: ignore[arg-type]
    if layout.text != sample.text:
        raise ValueError(f"{sample.file}: seed {seed} makes {layout.text}, not {sample.text}")

    def shown(mask: Image.Image) -> np.ndarray:
        picture = render(mask, sample.source, copy.deepcopy(rng), max_side).image
        return np.asarray(picture.convert("RGBA"), dtype=np.float32)

    empty = shown(Image.new("L", layout.mask().size, 0))
    masks = []
    for k in range(len(layout.text)):
        differs = np.abs(shown(layout.mask(only=k)) - empty).max(axis=-1)
        masks.append(differs > INK_SHARE * max(float(differs.max()), 1.0))
    return masks


def oracle_reading(
    data: bytes, masks: Sequence[np.ndarray], predict: object, max_pixels: int, work_side: int = WORK_SIDE
) -> Reading:
    """Read one picture as ``/read`` does, each digit's input made from the ink under its true mask; a
    digit whose ink was not found is left out."""
    try:
        gray, _ = decode_scaled(data, max_pixels, max_side=work_side)
        ink = find_ink(_sanitise(gray), row=True, work_side=work_side)
    except ServiceError as exc:
        return Reading(refusal=exc.code)
    inputs = []
    for mask in masks:
        picture = Image.fromarray(mask.astype(np.float32)).resize(ink.mask.shape[::-1], Image.Resampling.BOX)
        under = ink.mask & (np.asarray(picture) > 0)
        if under.any():
            inputs.append(digit_input(ink, under))
    if not inputs:
        return Reading()
    probabilities = softmax(predict(np.stack(inputs)))  # type: ignore[operator]
    return Reading(
        digits=tuple(int(d) for d in probabilities.argmax(axis=1)),
        confidence=tuple(float(c) for c in probabilities.max(axis=1)),
        inputs=np.stack(inputs),
    )


def within_reach(data: bytes, text: str, predict: object, max_pixels: int) -> bool:
    """Whether the service's candidates hold the right reading: some run of them from the first node
    to the last, left to right (short ink may be left out), that the model reads as ``text``. When
    they do not, the cuts are to blame; when they do, the choice among them."""
    try:
        candidates = number_candidates_bytes(data, max_pixels)
    except ServiceError:
        return False
    probabilities = predict(np.stack([c.pixels for c in candidates.crops]))  # type: ignore[operator]
    digits = [str(d) for d in np.asarray(probabilities).argmax(axis=1)]
    steps = len(candidates.skippable)
    reached: list[set[int]] = [{0}] + [set() for _ in range(steps)]  # digits of text read, per node
    for node in range(steps):
        for read in reached[node]:
            if candidates.skippable[node]:
                reached[node + 1].add(read)
            for k, (start, stop) in enumerate(candidates.spans):
                if start == node and read < len(text) and digits[k] == text[read]:
                    reached[stop].add(read + 1)
    return len(text) in reached[steps]


def split(
    samples: Sequence[NumberSample],
    service: Sequence[Reading],
    oracle: Sequence[Reading],
    reach: Sequence[bool],
) -> str:
    """Per spacing: the service's misses the oracle reads right (segmentation: the right reading was
    not among the candidates, or it was and another was chosen) and those it misses too."""
    head = ["misses", "segmentation", "not in cands", "chosen wrong", "model/ink", "oracle only"]
    lines = [f"{'spacing':<14}" + "".join(f"{h:>14}" for h in head)]
    for spacing in [*SPACINGS, "overall"]:
        rows = [i for i, s in enumerate(samples) if spacing in (s.spacing, "overall")]
        right = [
            (service[i].text == samples[i].text, oracle[i].text == samples[i].text, reach[i]) for i in rows
        ]
        misses = sum(not s for s, _, _ in right)
        segmentation = sum(not s and o for s, o, _ in right)
        uncut = sum(not s and o and not r for s, o, r in right)
        counts = [misses, segmentation, uncut, segmentation - uncut, misses - segmentation]
        counts.append(sum(s and not o for s, o, _ in right))
        lines.append(f"{spacing:<14}" + "".join(f"{c:>14}" for c in counts))
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--images", type=Path, required=True, help="a folder made by eval/number_set.py")
    p.add_argument("--seed", type=int, required=True, help="the seed the folder was made with")
    p.add_argument(
        "--max-side", type=int, default=None, help="the --max-side it was made with (default: none)"
    )
    p.add_argument("--model", type=Path, default=latest_model(ROOT), help="ONNX model (default: %(default)s)")
    p.add_argument(
        "--mnist-dir", type=Path, default=Path("../shared/data/mnist"), help="MNIST test IDX files"
    )
    p.add_argument("--font-dir", type=Path, default=Path("/usr/share/fonts"), help="where to look for *.ttf")
    p.add_argument("--max-pixels", type=int, default=40_000_000, help="passed to the decoder")
    p.add_argument(
        "--work-side",
        type=int,
        default=WORK_SIDE,
        help="longest side the oracle finds ink at (default: %(default)s)",
    )
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    samples = read_numbers(args.images)
    sources = Sources.load(args.mnist_dir, args.font_dir)
    blobs = [(args.images / s.file).read_bytes() for s in samples]
    predict = onnx_predictor(args.model, threads=1)
    oracle = [
        oracle_reading(
            data, true_masks(sources, s, args.seed, args.max_side), predict, args.max_pixels, args.work_side
        )
        for s, data in zip(samples, blobs, strict=True)
    ]
    service = read_offline(blobs, args.model, args.max_pixels)
    reach = [
        within_reach(data, s.text, predict, args.max_pixels) for s, data in zip(samples, blobs, strict=True)
    ]
    print(f"{len(samples)} numbers from {args.images}, model {args.model}\n")
    print(table(scores(samples, service, "spacing"), "service") + "\n")
    print(table(scores(samples, oracle, "spacing"), "true digits") + "\n")
    print(split(samples, service, oracle, reach))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
