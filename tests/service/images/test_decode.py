"""service.images.decode: real image bytes made with Pillow, every format and mode, every bad input."""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile, PngImagePlugin

import service.images.decode
from service.errors import (
    CorruptImage,
    InvalidArray,
    InvalidInput,
    TooManyPixels,
    UnsupportedImageFormat,
)
from service.images.decode import array_to_input, decode_image

MAX_PIXELS = 4_000_000


def encode(img: Image.Image, fmt: str, **params: Any) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def gradient(height: int = 40, width: int = 30) -> np.ndarray:
    """uint8 gray levels that differ in every row and column, so any flip or rotation shows."""
    rows = np.arange(height)[:, None] * 5
    cols = np.arange(width)[None, :] * 2
    return ((rows + cols) % 256).astype(np.uint8)


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width x height`` but holds one row: a bomb's shape."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grayscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0\0"))
        + chunk(b"IEND", b"")
    )


def complete_1_bit_png(width: int, height: int) -> bytes:
    """A complete, valid all-black 1-bit PNG, compressed row by row without building the image."""
    compressor = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)  # filter byte, then the packed bits
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


# --- formats and modes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "params", "tolerance"),
    [
        ("PNG", {}, 0.0),
        ("BMP", {}, 0.0),
        ("TIFF", {}, 0.0),
        ("GIF", {}, 0.0),
        ("WEBP", {"lossless": True}, 0.0),
        ("JPEG", {"quality": 95}, 0.03),
        ("TIFF", {"compression": "tiff_lzw"}, 0.0),
    ],
)
def test_every_supported_format_decodes_to_its_gray_levels(
    fmt: str, params: dict[str, Any], tolerance: float
) -> None:
    pixels = gradient()
    out = decode_image(encode(Image.fromarray(pixels), fmt, **params), MAX_PIXELS)
    assert out.dtype == np.float32 and out.shape == pixels.shape
    error = np.abs(out - pixels / 255.0).mean()
    assert error <= tolerance + 1e-6, f"{fmt}: mean error {error:.4f} against the source gray levels"


def test_rgb_becomes_luma() -> None:
    rgb = np.zeros((2, 3, 3), dtype=np.uint8)
    rgb[0, 0] = (255, 0, 0)
    rgb[0, 1] = (0, 255, 0)
    rgb[0, 2] = (0, 0, 255)
    rgb[1] = 255
    out = decode_image(encode(Image.fromarray(rgb), "PNG"), MAX_PIXELS)
    expected = np.array([[0.299, 0.587, 0.114], [1.0, 1.0, 1.0]])
    np.testing.assert_allclose(out, expected, atol=1 / 255)


def test_transparent_background_is_composited_over_white() -> None:
    rgba = np.zeros((20, 20, 4), dtype=np.uint8)  # fully transparent black everywhere...
    rgba[5:15, 8:12] = (0, 0, 0, 255)  # ...except an opaque black bar
    rgba[0, 0] = (0, 0, 0, 128)  # and one half-transparent black pixel
    out = decode_image(encode(Image.fromarray(rgba), "PNG"), MAX_PIXELS)
    assert out[5:15, 8:12].max() == 0.0, "the opaque black ink must stay black"
    assert out[10, 0] == 1.0 and out[19, 19] == 1.0, "transparent pixels must read as white paper"
    assert out[0, 0] == pytest.approx(127 / 255, abs=1 / 255), "half alpha over white is mid gray"


def test_la_image_alpha_is_composited_over_white() -> None:
    la = Image.merge("LA", [Image.new("L", (4, 4), 0), Image.new("L", (4, 4), 0)])
    assert decode_image(encode(la, "PNG"), MAX_PIXELS).min() == 1.0


def test_palette_png_maps_indices_through_the_palette() -> None:
    img = Image.new("P", (3, 1))
    img.putpalette([0, 0, 0, 255, 255, 255, 128, 128, 128] + [0] * (256 * 3 - 9))
    img.putdata([0, 1, 2])
    out = decode_image(encode(img, "PNG"), MAX_PIXELS)
    np.testing.assert_allclose(out, [[0.0, 1.0, 128 / 255]], atol=1e-6)


def test_palette_png_with_transparent_index_is_white() -> None:
    img = Image.new("P", (2, 1))
    img.putpalette([0, 0, 0] * 256)  # every colour black, index 0 transparent
    img.putdata([0, 1])
    out = decode_image(encode(img, "PNG", transparency=0), MAX_PIXELS)
    np.testing.assert_array_equal(out, [[1.0, 0.0]])


def test_16_bit_png_keeps_its_full_range() -> None:
    values = np.array([[0, 1000, 32768, 65535]], dtype=np.uint16)
    img = Image.fromarray(values)
    assert img.mode == "I;16"
    out = decode_image(encode(img, "PNG"), MAX_PIXELS)
    np.testing.assert_allclose(out, values / 65535.0, atol=1e-6)


def test_float_tiff_in_unit_range_is_taken_as_is() -> None:
    values = np.array([[0.0, 0.25, 1.0]], dtype=np.float32)
    out = decode_image(encode(Image.fromarray(values), "TIFF"), MAX_PIXELS)
    np.testing.assert_allclose(out, values, atol=1e-6)


def test_float_tiff_with_nan_and_odd_range_is_stretched() -> None:
    values = np.array([[-2.0, 0.0, 2.0, np.nan]], dtype=np.float32)
    out = decode_image(encode(Image.fromarray(values), "TIFF"), MAX_PIXELS)
    np.testing.assert_allclose(out, [[0.0, 0.5, 1.0, 0.5]], atol=1e-6)


def test_32_bit_int_tiff_with_8_bit_values_is_not_crushed_to_black() -> None:
    values = np.array([[0, 128, 255]], dtype=np.int32)
    out = decode_image(encode(Image.fromarray(values), "TIFF"), MAX_PIXELS)
    np.testing.assert_allclose(out, values / 255.0, atol=1e-6)


def test_cmyk_jpeg_decodes() -> None:
    out = decode_image(encode(Image.new("CMYK", (16, 16), (0, 0, 0, 255)), "JPEG"), MAX_PIXELS)
    assert out.shape == (16, 16) and out.max() < 0.1, "full black ink must decode dark"


def test_gif_uses_the_first_frame() -> None:
    first, second = Image.new("L", (8, 8), 0), Image.new("L", (8, 8), 255)
    data = encode(first, "GIF", save_all=True, append_images=[second], duration=100)
    assert getattr(Image.open(io.BytesIO(data)), "n_frames", 1) == 2, "the GIF must really be animated"
    np.testing.assert_array_equal(decode_image(data, MAX_PIXELS), np.zeros((8, 8)))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_exif_orientation_6_is_applied(fmt: str) -> None:
    upright = Image.fromarray(gradient(48, 32))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display": stored turned the other way
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    params: dict[str, Any] = {"quality": 95} if fmt == "JPEG" else {}
    rotated = decode_image(encode(stored, fmt, exif=exif, **params), MAX_PIXELS)
    plain = decode_image(encode(upright, fmt, **params), MAX_PIXELS)
    assert rotated.shape == plain.shape == (48, 32)
    assert np.abs(rotated - plain).mean() < 0.02, "the EXIF-rotated image must match the upright one"


def test_max_side_shrinks_by_area_averaging_keeping_the_aspect_ratio() -> None:
    pixels = np.zeros((400, 200), dtype=np.uint8)
    pixels[:, 100:] = 255
    for fmt in ("PNG", "JPEG"):
        out = decode_image(encode(Image.fromarray(pixels), fmt), MAX_PIXELS, max_side=100)
        assert out.shape == (100, 50), fmt
        assert out.mean() == pytest.approx(0.5, abs=0.02), f"{fmt}: area averaging keeps the mean"


def test_one_pixel_image_decodes() -> None:
    assert decode_image(encode(Image.new("L", (1, 1), 255), "PNG"), MAX_PIXELS).tolist() == [[1.0]]


# --- bad input ---------------------------------------------------------------------------------------------


def test_zero_bytes_is_a_clear_error() -> None:
    with pytest.raises(InvalidInput, match="empty"):
        decode_image(b"", MAX_PIXELS)


@pytest.mark.parametrize(
    "data",
    [b"hello, this is not an image", b"\x00" * 100, b"P5\n2 2\n255\n\x00\x00\x00\x00", b"{}"],
    ids=["text", "zeros", "pgm-not-accepted", "json"],
)
def test_not_an_image_is_unsupported(data: bytes) -> None:
    with pytest.raises(UnsupportedImageFormat, match="PNG, JPEG"):
        decode_image(data, MAX_PIXELS)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF"])
def test_truncated_image_is_corrupt(fmt: str) -> None:
    noise = np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)  # barely compressible
    data = encode(Image.fromarray(noise), fmt)
    with pytest.raises(CorruptImage):
        decode_image(data[: len(data) // 2], MAX_PIXELS)


def test_header_only_png_is_corrupt_not_unsupported() -> None:
    data = encode(Image.new("L", (8, 8)), "PNG")
    with pytest.raises(CorruptImage, match="PNG"):
        decode_image(data[:20], MAX_PIXELS)


def test_damaged_png_data_is_corrupt() -> None:
    noise = np.random.default_rng(1).integers(0, 256, (64, 64), dtype=np.uint8)
    data = bytearray(encode(Image.fromarray(noise), "PNG"))
    data[200:260] = bytes(60)  # inside the compressed pixel data
    with pytest.raises(CorruptImage):
        decode_image(bytes(data), MAX_PIXELS)


def test_loading_truncated_images_must_stay_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
        decode_image(encode(Image.new("L", (4, 4)), "PNG"), MAX_PIXELS)


def test_declared_size_over_our_limit_is_refused_before_decoding() -> None:
    with pytest.raises(TooManyPixels, match="5000x5000"):
        decode_image(png_declaring(5000, 5000), max_pixels=1_000_000)


def test_decompression_bomb_20000_squared_is_too_many_pixels() -> None:
    data = png_declaring(20000, 20000)
    assert len(data) < 100
    with pytest.raises(TooManyPixels):  # Pillow's own DecompressionBombError, translated
        decode_image(data, max_pixels=10**12)


def test_complete_20000_squared_1_bit_png_is_too_many_pixels() -> None:
    data = complete_1_bit_png(20000, 20000)
    assert len(data) < 200_000, "a 400-megapixel image in a small file"
    with pytest.raises(TooManyPixels, match="pixels"):
        decode_image(data, MAX_PIXELS)
    assert Image.open(io.BytesIO(complete_1_bit_png(64, 32))).size == (64, 32), "the helper makes real PNGs"


def test_complete_small_1_bit_png_decodes() -> None:
    np.testing.assert_array_equal(decode_image(complete_1_bit_png(64, 32), MAX_PIXELS), np.zeros((32, 64)))


def test_pillow_bomb_warning_range_is_too_many_pixels() -> None:
    side = int((Image.MAX_IMAGE_PIXELS or 0) ** 0.5) + 100  # over Pillow's warning limit, under its error
    data = png_declaring(side, side)
    with pytest.warns(Image.DecompressionBombWarning), pytest.raises(TooManyPixels):
        decode_image(data, max_pixels=10**12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a deployment that turns warnings into errors
        with pytest.raises(TooManyPixels):
            decode_image(data, max_pixels=10**12)


def test_gif_declaring_huge_screen_is_too_many_pixels() -> None:
    data = bytearray(encode(Image.new("L", (2, 2)), "GIF"))
    data[6:10] = struct.pack("<HH", 65535, 65535)
    with pytest.raises(TooManyPixels):
        decode_image(bytes(data), MAX_PIXELS)


# --- client-sent arrays ------------------------------------------------------------------------------------


def test_array_0_255_is_scaled_to_unit_range() -> None:
    values = [[(row * 28 + col) % 256 for col in range(28)] for row in range(28)]
    out = array_to_input(values, "0-255")
    assert out.dtype == np.float32 and out.shape == (28, 28)
    np.testing.assert_allclose(out, np.array(values) / 255.0, atol=1e-7)


def test_array_0_1_and_ndarray_are_taken_as_is() -> None:
    values = np.random.default_rng(0).random((28, 28))
    np.testing.assert_allclose(array_to_input(values.tolist(), "0-1"), values, atol=1e-7)
    np.testing.assert_allclose(array_to_input(values, "0-1"), values, atol=1e-7)
    np.testing.assert_array_equal(array_to_input(np.full((28, 28), 255, np.uint8), "0-255"), 1.0)


def grid(value: object = 0, at: tuple[int, int] = (3, 5)) -> list[list[object]]:
    rows: list[list[object]] = [[0] * 28 for _ in range(28)]
    rows[at[0]][at[1]] = value
    return rows


@pytest.mark.parametrize(
    ("values", "value_range", "message"),
    [
        (grid(float("nan")), "0-255", r"\[3\]\[5\] is nan"),
        (grid(float("inf")), "0-1", r"\[3\]\[5\] is inf"),
        (grid(256), "0-255", r"\[3\]\[5\] is 256, outside the declared range 0-255"),
        (grid(-1), "0-255", r"\[3\]\[5\] is -1, outside"),
        (grid(1.5), "0-1", r"\[3\]\[5\] is 1.5, outside the declared range 0-1"),
        (grid(10**400), "0-255", r"\[3\]\[5\] is far outside"),
        (grid("7"), "0-255", r"\[3\]\[5\] is a str, not a number"),
        (grid(True), "0-255", r"\[3\]\[5\] is a bool"),
        (grid(None), "0-255", r"\[3\]\[5\] is a NoneType"),
        (grid([1, 2]), "0-255", r"\[3\]\[5\] is a list"),
        (grid()[:27], "0-255", "expected 28 rows, got 27"),
        ([[0] * 28] * 5 + [[0] * 27] + [[0] * 28] * 22, "0-255", "row 5 has 27 values, expected 28"),
        ([[0] * 28] * 27 + ["abc"], "0-255", "row 27 is a str"),
        ("0" * 784, "0-255", "expected a list of 28 rows, got a str"),
        (np.zeros((28, 27)), "0-1", r"shape \(28, 27\)"),
        (np.zeros((1, 28, 28)), "0-1", r"shape \(1, 28, 28\)"),
        (np.zeros((28, 28), dtype=bool), "0-1", "array of bool"),
        (np.full((28, 28), "1"), "0-1", "array of str"),
        (np.full((28, 28), np.nan), "0-1", r"\[0\]\[0\] is nan"),
        (grid(), "0-100", "value range"),
    ],
)
def test_bad_arrays_say_what_and_where(values: object, value_range: Any, message: str) -> None:
    with pytest.raises(InvalidArray, match=message):
        array_to_input(values, value_range)


# --- plain PNGs are decoded by libspng: the same answers as Pillow ------------------------------------------


def decode_with_pillow_only(data: bytes, max_side: int | None = None) -> np.ndarray | type[Exception]:
    """What decode_image gives when every file goes through Pillow: the reference."""
    with mock.patch.object(service.images.decode, "_plain_png_pixels", return_value=None):
        return outcome(data, max_side)


def outcome(data: bytes, max_side: int | None = None) -> np.ndarray | type[Exception]:
    try:
        return decode_image(data, MAX_PIXELS, max_side=max_side)
    except Exception as exc:
        return type(exc)


def assert_same(data: bytes, max_side: int | None = None) -> None:
    ours, reference = outcome(data, max_side), decode_with_pillow_only(data, max_side)
    if isinstance(reference, np.ndarray):
        assert isinstance(ours, np.ndarray) and ours.dtype == reference.dtype
        np.testing.assert_array_equal(ours, reference)
    else:
        assert ours is reference


@given(
    mode=st.sampled_from(["L", "RGB", "RGBA"]),
    size=st.tuples(st.integers(1, 300), st.integers(1, 40)),
    seed=st.integers(0, 2**32 - 1),
    optimize=st.booleans(),
    max_side=st.sampled_from([None, 192]),
)
@settings(max_examples=150, deadline=None)
def test_plain_pngs_decode_exactly_as_pillow_decodes_them(
    mode: str, size: tuple[int, int], seed: int, optimize: bool, max_side: int | None
) -> None:
    channels = {"L": (), "RGB": (3,), "RGBA": (4,)}[mode]
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], *channels), dtype=np.uint8)
    data = encode(Image.fromarray(pixels), "PNG", optimize=optimize)
    with mock.patch.object(
        service.images.decode.pyspng, "load", wraps=service.images.decode.pyspng.load
    ) as load:
        assert_same(data, max_side)
    assert load.call_count == 1  # the fast path really ran (the reference never calls it)


def test_pngs_that_are_not_plain_are_left_to_pillow_and_decode_as_before() -> None:
    plain = Image.fromarray(gradient())
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotated
    text = PngImagePlugin.PngInfo()
    text.add_text("Software", "a drawing app")
    files = {  # file -> the shape Pillow's path gives it
        encode(plain, "PNG", transparency=0): (40, 30),  # tRNS: a colour key becomes alpha
        encode(plain, "PNG", exif=exif): (30, 40),  # eXIf: orientation, so rotated
        encode(plain, "PNG", pnginfo=text): (40, 30),  # tEXt: may hold EXIF or XMP orientation
        encode(plain.convert("P"), "PNG"): (40, 30),  # palette
        encode(plain.convert("LA"), "PNG"): (40, 30),  # grey + alpha
        encode(Image.fromarray(gradient().astype(np.uint16) * 257), "PNG"): (40, 30),  # 16-bit
    }
    for data, shape in files.items():
        with mock.patch.object(service.images.decode.pyspng, "load") as load:
            assert_same(data)  # the same answer as when every file goes through Pillow
            out = decode_image(data, MAX_PIXELS)
        load.assert_not_called()
        assert out.shape == shape


def test_a_png_over_the_pixel_limit_is_refused_before_libspng_sees_it() -> None:
    data = complete_1_bit_png(3000, 3000)
    header = bytearray(data)
    header[24:26] = bytes([8, 0])  # claim 8-bit grey: a plain PNG's header
    header[29:33] = struct.pack(">I", zlib.crc32(bytes(header[12:29])))
    with mock.patch.object(service.images.decode.pyspng, "load") as load, pytest.raises(TooManyPixels):
        decode_image(bytes(header), 1_000_000)
    load.assert_not_called()


def test_every_truncation_of_a_plain_png_gets_pillows_answer() -> None:
    data = encode(Image.fromarray(gradient(12, 9)), "PNG")
    for end in range(len(data) + 1):
        assert_same(data[:end])


@given(position=st.integers(8, 10_000), value=st.integers(0, 255))
@settings(max_examples=300, deadline=None)
def test_a_damaged_byte_anywhere_gets_pillows_answer(position: int, value: int) -> None:
    data = bytearray(encode(Image.fromarray(gradient(20, 20)), "PNG"))
    data[position % len(data)] = value
    assert_same(bytes(data))
