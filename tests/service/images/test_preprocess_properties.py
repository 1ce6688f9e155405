"""Properties: whatever a client sends, preprocessing gives valid model input or a domain error."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays
from PIL import Image, ImageDraw

from service.errors import NoDigit, ServiceError
from service.images.preprocess import array_to_input, normalize_digit, preprocess_image

BOUNDED = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MAX_PIXELS = 1_000_000


def check_contract(out: np.ndarray) -> None:
    assert out.dtype == np.float32 and out.shape == (28, 28)
    assert not np.isnan(out).any() and out.min() >= 0.0 and out.max() <= 1.0


def encode(img: Image.Image, fmt: str, **params: Any) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def run_on_client_bytes(data: bytes) -> None:
    """preprocess_image may refuse the bytes, but only with a domain error."""
    try:
        out = preprocess_image(data, MAX_PIXELS)
    except ServiceError:
        return
    check_contract(out)


gray_arrays = arrays(
    dtype=st.sampled_from([np.float32, np.float64]),
    shape=array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=80),
    elements=st.floats(allow_nan=True, allow_infinity=True, width=32),
)


def check_or_no_digit(gray: np.ndarray) -> np.ndarray | None:
    """The model input for ``gray``, checked against the contract, or None when it has no digit."""
    try:
        out = normalize_digit(gray)
    except NoDigit:
        return None
    check_contract(out)
    return out


@BOUNDED
@given(gray_arrays)
def test_any_float_array_gives_valid_input(gray: np.ndarray) -> None:
    check_or_no_digit(gray)


@BOUNDED
@given(
    arrays(
        np.float32,
        array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=96),
        elements=st.floats(0, 1, width=32),
    )
)
def test_any_unit_range_array_gives_valid_input(gray: np.ndarray) -> None:
    check_or_no_digit(gray)


@st.composite
def drawings(draw: st.DrawFn) -> np.ndarray:
    """A pen line of a few segments, in any colour against a clearly different background, away from
    the picture's edges (a mark along an edge is a shadow or the paper's edge: tests/service/images/
    test_ink.py covers those)."""
    width, height = draw(st.integers(30, 400)), draw(st.integers(30, 400))
    paper = draw(st.integers(0, 255))
    ink = draw(st.sampled_from([0, 255]) if 40 < paper < 215 else st.just(255 - paper))
    img = Image.new("L", (width, height), paper)
    inner_x, inner_y = (
        st.integers(width // 5, width - 1 - width // 5),
        st.integers(height // 5, height - 1 - height // 5),
    )
    points = draw(st.lists(st.tuples(inner_x, inner_y), min_size=2, max_size=6))
    pen = draw(st.integers(1, max(1, min(width, height) // 8)))
    ImageDraw.Draw(img).line(points, fill=ink, width=pen)
    return np.asarray(img, dtype=np.float32) / 255


@BOUNDED
@given(drawings())
def test_a_visible_drawing_is_scaled_to_20_px_and_centred(gray: np.ndarray) -> None:
    out = check_or_no_digit(gray)
    if out is None:  # only a tiny mark (a dot) has no digit
        marked = gray != np.median(gray)
        rows, cols = np.flatnonzero(marked.any(axis=1)), np.flatnonzero(marked.any(axis=0))
        extent = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 if rows.size else 0
        assert marked.mean() < 0.005 or extent < 0.1 * min(gray.shape), (
            f"a {extent}-px mark covering {marked.mean():.2%} of the picture was refused"
        )
        return
    assert out.max() == 1.0
    rows, cols = np.flatnonzero(out.any(axis=1)), np.flatnonzero(out.any(axis=0))
    height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    assert max(height, width) == 20, f"ink box {height}x{width}"
    grid_rows, grid_cols = np.indices(out.shape)
    centre = ((grid_rows * out).sum() / out.sum(), (grid_cols * out).sum() / out.sum())
    at_edge = (rows[0] == 0, rows[-1] == 27, cols[0] == 0, cols[-1] == 27)
    assert (abs(centre[0] - 14) <= 1 or any(at_edge[:2])) and (abs(centre[1] - 14) <= 1 or any(at_edge[2:]))


@BOUNDED
@given(st.binary(max_size=4096))
def test_random_bytes_give_valid_input_or_a_domain_error(data: bytes) -> None:
    run_on_client_bytes(data)


def _seed_images() -> list[bytes]:
    rng = np.random.default_rng(0)
    pixels = (rng.random((24, 20)) * 255).astype(np.uint8)
    gray, rgba = Image.fromarray(pixels), Image.fromarray(np.dstack([pixels] * 4))
    return [
        encode(gray, "PNG"),
        encode(rgba, "PNG"),
        encode(gray.convert("P"), "PNG", transparency=3),
        encode(Image.fromarray(pixels.astype(np.uint16) * 257), "PNG"),
        encode(gray, "JPEG", quality=80),
        encode(gray, "GIF", save_all=True, append_images=[gray.rotate(90)]),
        encode(gray, "BMP"),
        encode(gray, "WEBP"),
        encode(gray, "TIFF"),
        encode(Image.fromarray(pixels.astype(np.float32)), "TIFF"),
    ]


SEEDS = _seed_images()


@st.composite
def mutated_images(draw: st.DrawFn) -> bytes:
    """A valid image of some format with bytes overwritten, a slice cut out, or its tail cut off."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["overwrite", "cut", "truncate"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "overwrite":
            data[at : at + 4] = draw(st.binary(min_size=1, max_size=4))
        elif kind == "cut":
            del data[at : at + draw(st.integers(1, 16))]
        else:
            del data[at:]
    return bytes(data)


@BOUNDED
@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns about the damaged TIFF tags it skips
@given(mutated_images())
def test_mutated_images_give_valid_input_or_a_domain_error(data: bytes) -> None:
    run_on_client_bytes(data)


junk = st.none() | st.booleans() | st.text(max_size=3) | st.lists(st.integers(), max_size=2) | st.floats()


@st.composite
def client_grids(draw: st.DrawFn) -> object:
    """A 28x28 list of numbers as JSON would carry it, perhaps with one odd cell or a ragged row."""
    grid: list[Any] = draw(arrays(np.int64, (28, 28), elements=st.integers(-20, 275))).tolist()
    row, col = draw(st.integers(0, 27)), draw(st.integers(0, 27))
    change = draw(st.sampled_from(["none", "cell", "huge", "short row", "extra row", "row junk"]))
    if change == "cell":
        grid[row][col] = draw(junk)
    elif change == "huge":
        grid[row][col] = draw(st.integers(min_value=2**63))
    elif change == "short row":
        del grid[row][col]
    elif change == "extra row":
        grid.append(grid[row])
    elif change == "row junk":
        grid[row] = draw(junk)
    return grid


@BOUNDED
@given(client_grids() | st.recursive(junk, st.lists, max_leaves=10))
def test_json_like_grids_give_valid_input_or_invalid_array(values: object) -> None:
    try:
        out = array_to_input(values, "0-255")
    except ServiceError as exc:
        assert exc.code == "invalid_array"
        return
    check_contract(out)


@BOUNDED
@given(arrays(np.float64, (28, 28), elements=st.floats(allow_nan=True, allow_infinity=True)))
def test_any_28x28_float_array_gives_valid_input_or_invalid_array(values: np.ndarray) -> None:
    try:
        out = array_to_input(values, "0-1")
    except ServiceError as exc:
        assert exc.code == "invalid_array"
        return
    np.testing.assert_array_equal(out, values.astype(np.float32))
