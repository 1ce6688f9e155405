"""``POST /read``'s wire format and its one model call: images to digit candidates, candidates to numbers.

Each image becomes its digit candidates (:func:`~service.images.segment.number_candidates`; a pixel
array is read as a picture). Every candidate of every image goes to the model in one submission;
then each image's reading is chosen by the model's confidence (:meth:`Candidates.best`) and encoded
with its text, boxes and uncertainty. Only this module and ``service.api.codec`` know the format.
"""

from __future__ import annotations

from functools import partial
from itertools import accumulate
from typing import Any, Literal

import numpy as np
import orjson

from service.api.codec import items_from_files, items_from_json
from service.errors import TooManyDigits
from service.images.preprocess import array_to_input
from service.images.segment import Candidates, number_candidates, number_candidates_bytes


async def candidates_from_files(
    files: list[bytes], max_images: int, max_pixels: int, max_digits: int
) -> list[Candidates]:
    """Uploaded image files -> the digit candidates of each."""
    read = partial(number_candidates_bytes, max_digits=max_digits)
    return await items_from_files(files, max_images, max_pixels, read)


async def candidates_from_json(
    body: bytes, max_images: int, max_pixels: int, max_digits: int
) -> tuple[list[Candidates], bool]:
    """A JSON body (base64 files and pixel arrays, as ``/predict`` takes) -> the candidates of each."""
    read_file = partial(number_candidates_bytes, max_digits=max_digits)
    read_array = partial(_array_candidates, max_digits=max_digits)
    return await items_from_json(body, max_images, max_pixels, read_file, read_array)


def _array_candidates(values: Any, value_range: Literal["0-255", "0-1"], max_digits: int) -> Candidates:
    return number_candidates(array_to_input(values, value_range), max_digits)


def model_input(numbers: list[Candidates], max_images: int) -> np.ndarray:
    """Every candidate of every image, ``float32[N, 28, 28]``: one submission for the whole request."""
    count = sum(len(n.crops) for n in numbers)
    if count > max_images:
        raise TooManyDigits(
            f"the images hold {count} digit candidates in all; at most {max_images} fit one request"
        )
    return np.stack([crop.pixels for n in numbers for crop in n.crops])


def encode_numbers(
    numbers: list[Candidates],
    probabilities: np.ndarray,
    uncertain: np.ndarray,
    model: tuple[str, int],
    max_digits: int,
    return_input: bool = False,
) -> bytes:
    """The model's answers for :func:`model_input` -> the :class:`~service.api.schemas.ReadResponse`
    JSON, each image's reading chosen by the confidence of its candidates."""
    starts = [0, *accumulate(len(n.crops) for n in numbers)]
    readings = [
        _reading(n, probabilities[lo:hi], uncertain[lo:hi], max_digits, return_input)
        for n, lo, hi in zip(numbers, starts, starts[1:], strict=False)
    ]
    document = {"model": model[0], "version": model[1], "numbers": readings}
    return orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY)


def _reading(
    candidates: Candidates,
    probabilities: np.ndarray,
    uncertain: np.ndarray,
    max_digits: int,
    return_input: bool,
) -> dict[str, Any]:
    chosen = candidates.best(probabilities.max(axis=1), max_digits)
    digits: list[dict[str, Any]] = []
    for k in chosen:
        digit, crop = int(probabilities[k].argmax()), candidates.crops[k]
        confidence = float(probabilities[k, digit])
        reading = {
            "digit": digit,
            "confidence": confidence,
            "uncertain": bool(uncertain[k]),
            "box": list(crop.box),
        }
        if return_input:
            reading["input"] = crop.pixels
        digits.append(reading)
    text = "".join(str(d["digit"]) for d in digits)
    return {"text": text, "uncertain": any(d["uncertain"] for d in digits), "digits": digits}
