"""Turn what a client sent (image bytes or a pixel array) into float32 arrays, refusing anything unsafe.

:func:`decode_image` accepts PNG, JPEG, GIF, BMP, WebP and TIFF. The pixel count is checked
from the header before any pixel is decoded (``Image.open`` is lazy), so a
small file that declares huge dimensions costs nothing. Plain 8-bit PNGs, what
canvases and MNIST exports produce, are decoded by libspng (pyspng) instead of
Pillow: the same pixels at a fraction of the cost for digit-sized images, where
Pillow's Python-level file handling dominates. Every other file, and any PNG
libspng refuses, goes through Pillow, which alone decides what is an error. The first frame of
animated formats is used, EXIF orientation is applied, transparency is
composited over a contrasting backdrop, and 16-bit and float images keep their range.
:func:`array_to_input` checks a 28x28 pixel array strictly. Every failure
caused by the client's data becomes a domain error from :mod:`service.errors`.
"""

from __future__ import annotations

import io
import struct
import zlib
from itertools import chain
from typing import Literal

import numpy as np
import pyspng
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from service.errors import CorruptImage, InvalidArray, InvalidInput, TooManyPixels, UnsupportedImageFormat

FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")
FORMAT_NAMES = "PNG, JPEG, GIF, BMP, WebP or TIFF"
# Leading bytes of each format, to tell "damaged PNG" from "not an image at all".
SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF87a": "GIF",
    b"GIF89a": "GIF",
    b"BM": "BMP",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
}
ALPHA_MODES = frozenset({"RGBA", "LA", "PA"})
# Modes whose "transparency" info (palette index or colour key) Pillow converts to alpha.
KEYED_MODES = frozenset({"1", "L", "P", "RGB"})
ARRAY_SIDE = 28  # client-sent pixel arrays are model input: 28x28
# Where Pillow's getexif() finds an orientation (TIFF also keeps it in its tags); without any of them
# exif_transpose has nothing to do, and skipping it saves ~7 us per small PNG.
ORIENTATION_KEYS = frozenset({"exif", "Raw profile type exif", "xmp", "XML:com.adobe.xmp"})
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# IHDR colour types that libspng decodes, at bit depth 8, to exactly Pillow's pixels: grey, RGB, RGBA.
PLAIN_PNG_COLOURS = frozenset({0, 2, 6})
# Chunks that change what Pillow makes of the pixels: a transparent colour key, EXIF or XMP
# orientation (eXIf or text chunks), animation. PNGs with any of them are left to Pillow.
PILLOW_PNG_CHUNKS = frozenset({b"tRNS", b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"acTL"})


def decode_image(data: bytes, max_pixels: int, max_side: int | None = None) -> np.ndarray:
    """Decode bytes into finite float32 grayscale ``HxW`` in [0, 1] (0 = black).

    With ``max_side``, images whose longer side exceeds it are shrunk by area
    averaging (JPEGs already while decoding) so the result is at most that size.
    """
    return decode_scaled(data, max_pixels, max_side)[0]


def decode_scaled(data: bytes, max_pixels: int, max_side: int | None = None) -> tuple[np.ndarray, float]:
    """:func:`decode_image`, and the decoded pixels per pixel of the picture as sent (1.0 unless
    ``max_side`` shrank it), to map positions found in the result back to the original."""
    if not data:
        raise InvalidInput("the image is empty (0 bytes)")
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES is set; truncated uploads would pass")
    pixels = _plain_png_pixels(data, _limit(max_pixels))
    if pixels is None:
        gray, side = _pillow_gray(data, max_pixels, max_side)
    elif pixels.ndim == 2 and (max_side is None or max(pixels.shape) <= max_side):
        return pixels / np.float32(255.0), 1.0  # the common case: a small grey PNG, no Pillow at all
    else:
        gray, side = _to_gray(Image.fromarray(pixels)), max(pixels.shape[:2])
    if max_side is not None and max(gray.size) > max_side:
        gray = _shrink(gray, max_side)
    return _to_array(gray), max(gray.size) / side


def _plain_png_pixels(data: bytes, limit: int) -> np.ndarray | None:
    """An 8-bit grey, RGB or RGBA PNG without chunks that Pillow would act on, decoded by libspng:
    uint8 ``HxW`` or ``HxWxC``. ``None`` leaves the file to Pillow, which then decides what is an
    error: any other file, one over the pixel limit, a damaged one, or one that libspng refuses."""
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR" or len(data) < 29:
        return None
    width, height, depth, colour = struct.unpack_from(">IIBB", data, 16)
    if depth != 8 or colour not in PLAIN_PNG_COLOURS or not 0 < width * height <= limit:
        return None
    if not _only_plain_chunks(data):
        return None
    try:
        pixels = pyspng.load(data)
    except (RuntimeError, ValueError):
        return None
    return pixels if pixels.shape[:2] == (height, width) else None


def _only_plain_chunks(data: bytes) -> bool:
    """Walk the chunks up to IEND: False on a damaged chunk (its CRC, which libspng as called by
    pyspng does not check) or on one in PILLOW_PNG_CHUNKS."""
    view = memoryview(data)
    position = len(PNG_SIGNATURE)
    while position + 12 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        end = position + 8 + length
        if kind in PILLOW_PNG_CHUNKS or end + 4 > len(data):
            return False
        if zlib.crc32(view[position + 4 : end]) != int.from_bytes(view[end : end + 4]):
            return False
        if kind == b"IEND":
            return True
        position = end + 4
    return False  # no IEND: truncated, and Pillow says what is wrong


def _pillow_gray(data: bytes, max_pixels: int, max_side: int | None) -> tuple[Image.Image, int]:
    """Decode any supported file with Pillow into a mode "L" or "F" image; also its longer side as
    sent (which rotation by the EXIF orientation keeps, and JPEG draft decoding may shrink)."""
    img = _open(data, max_pixels)
    side = max(img.size)
    try:
        if max_side is not None and img.format == "JPEG":
            img.draft("L", (max_side, max_side))  # decode at 1/2, 1/4 or 1/8 scale
        img.load()
        if img.format == "TIFF" or not ORIENTATION_KEYS.isdisjoint(img.info):
            ImageOps.exif_transpose(img, in_place=True)
        return _to_gray(img), side
    except UnsupportedImageFormat:
        raise
    except Exception as exc:  # any decoder failure on client bytes means the file is damaged
        raise CorruptImage(f"the {img.format} image is truncated or damaged and cannot be decoded") from exc


def _open(data: bytes, max_pixels: int) -> ImageFile.ImageFile:
    """Read the header only, and refuse images that declare too many pixels."""
    try:
        img = Image.open(io.BytesIO(data), formats=FORMATS)
    except UnidentifiedImageError as exc:
        fmt = _sniff(data)
        if fmt is None:
            raise UnsupportedImageFormat(
                f"the data is not an image in a supported format ({FORMAT_NAMES})"
            ) from None
        raise CorruptImage(f"the data starts like a {fmt} image but its header is damaged") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise TooManyPixels(f"the image declares more than {_limit(max_pixels)} pixels") from exc
    except Exception as exc:  # a plugin rejected a header it recognised
        raise CorruptImage(f"the {_sniff(data) or 'image'} header is damaged") from exc
    width, height = img.size
    limit = _limit(max_pixels)
    if width * height > limit:
        raise TooManyPixels(f"the image is {width}x{height} = {width * height} pixels; the limit is {limit}")
    if width == 0 or height == 0:
        raise CorruptImage(f"the {img.format} image declares a size of {width}x{height}")
    return img


def _limit(max_pixels: int) -> int:
    """Ours, or Pillow's bomb limit when lower (between 1x and 2x of it Pillow only warns)."""
    return min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)


def _sniff(data: bytes) -> str | None:
    """The supported format these bytes start like, if any."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    return next((fmt for sig, fmt in SIGNATURES.items() if data.startswith(sig)), None)


def _to_gray(img: Image.Image) -> Image.Image:
    """One channel: mode "L" for 8-bit sources, "F" in [0, 1] for 16/32-bit and float sources."""
    if img.mode in ALPHA_MODES or (img.mode in KEYED_MODES and "transparency" in img.info):
        return _composite(img.convert("RGBA"))
    if img.mode.startswith("I;16"):
        return _float_image(np.asarray(img.convert("I"), dtype=np.float32), (65535.0,))
    if img.mode == "I":
        return _float_image(np.asarray(img, dtype=np.float32), (255.0, 65535.0))
    if img.mode == "F":
        return _float_image(np.asarray(img, dtype=np.float32), (1.0, 255.0, 65535.0))
    if img.mode == "L":
        return img
    try:
        return img.convert("L")
    except ValueError as exc:
        raise UnsupportedImageFormat(f"the {img.format} colour mode {img.mode} is not supported") from exc


def _composite(rgba: Image.Image) -> Image.Image:
    """Flatten transparency onto a backdrop that contrasts with the visible ink.

    Drawings are usually dark ink on a transparent background, composited over white. A canvas
    whose dark background was only CSS exports light strokes on transparency; over white those
    would vanish, so light visible ink is composited over black instead.
    """
    alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32)
    luma = np.asarray(rgba.convert("L"), dtype=np.float32)
    visible = alpha > 127
    light_ink = visible.any() and (~visible).any() and float(luma[visible].mean()) > 127
    backdrop = Image.new("RGBA", rgba.size, (0, 0, 0, 255) if light_ink else (255, 255, 255, 255))
    return Image.alpha_composite(backdrop, rgba).convert("L")


def _float_image(values: np.ndarray, full_scales: tuple[float, ...]) -> Image.Image:
    """Map high-bit values to [0, 1]: by the smallest full scale that holds them, else min-max."""
    finite = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
    low, high = float(finite.min()), float(finite.max())
    scale = next((s for s in full_scales if low >= 0 and high <= s), None)
    if scale is not None:
        unit = finite / np.float32(scale)
    elif high > low:
        unit = (finite - np.float32(low)) / np.float32(high - low)
    else:
        unit = np.zeros_like(finite)
    return Image.fromarray(unit.astype(np.float32))


def _shrink(img: Image.Image, max_side: int) -> Image.Image:
    """Area-average down so the longer side is ``max_side``, keeping the aspect ratio."""
    width, height = img.size
    scale = max_side / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return img.resize(size, Image.Resampling.BOX, reducing_gap=2.0)


def _to_array(img: Image.Image) -> np.ndarray:
    """A mode "L" or "F" image as float32 ``HxW`` in [0, 1]."""
    if img.mode == "L":
        pixels = np.frombuffer(img.tobytes(), dtype=np.uint8).reshape(img.height, img.width)
        return pixels / np.float32(255.0)
    return np.clip(np.asarray(img, dtype=np.float32), 0.0, 1.0)


def array_to_input(values: object, value_range: Literal["0-255", "0-1"]) -> np.ndarray:
    """A client-sent 28x28 pixel array (nested lists or ndarray) -> float32 ``[28, 28]`` in [0, 1].

    The array is taken as model input as it is (light digit on dark). Raises
    :class:`InvalidArray` for a wrong shape, ragged rows, non-numbers, NaN or
    infinity, or values outside ``value_range``, saying which and where.
    """
    if value_range not in ("0-255", "0-1"):
        raise InvalidArray("the value range must be '0-255' or '0-1'")
    full = 255.0 if value_range == "0-255" else 1.0
    array = _numeric_array(values)
    if not (float(array.min()) >= 0.0 and float(array.max()) <= full):  # NaN fails both comparisons
        _raise_first_bad(array, full, value_range)
    return (array / full).astype(np.float32)


def _raise_first_bad(array: np.ndarray, full: float, value_range: str) -> None:
    bad = ~np.isfinite(array)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise InvalidArray(f"value at [{row}][{col}] is {array[row, col]}, not a finite number")
    row, col = np.argwhere((array < 0) | (array > full))[0]
    raise InvalidArray(
        f"value at [{row}][{col}] is {array[row, col]:g}, outside the declared range {value_range}"
    )


def _numeric_array(values: object) -> np.ndarray:
    """A float64 28x28 array from an ndarray or from nested lists of plain numbers."""
    if isinstance(values, np.ndarray):
        if values.shape != (ARRAY_SIDE, ARRAY_SIDE):
            raise InvalidArray(f"expected a {ARRAY_SIDE}x{ARRAY_SIDE} array, got shape {values.shape}")
        if values.dtype.kind not in "iuf":
            raise InvalidArray(f"expected numbers, got an array of {values.dtype.name}")
        return values.astype(np.float64)
    if not isinstance(values, list | tuple):
        raise InvalidArray(f"expected a list of {ARRAY_SIDE} rows, got a {type(values).__name__}")
    if len(values) != ARRAY_SIDE:
        raise InvalidArray(f"expected {ARRAY_SIDE} rows, got {len(values)}")
    for row, line in enumerate(values):
        if not isinstance(line, list | tuple):
            raise InvalidArray(f"row {row} is a {type(line).__name__}, not a list of {ARRAY_SIDE} numbers")
        if len(line) != ARRAY_SIDE:
            raise InvalidArray(f"row {row} has {len(line)} values, expected {ARRAY_SIDE}")
    if set(map(type, chain.from_iterable(values))) <= {int, float}:
        try:
            return np.array(values, dtype=np.float64)  # the fast path for JSON numbers
        except OverflowError:
            pass  # an int too big for a float: the cell-by-cell pass below says where
    array = np.empty((ARRAY_SIDE, ARRAY_SIDE), dtype=np.float64)
    for row, line in enumerate(values):
        for col, value in enumerate(line):
            array[row, col] = _number(value, row, col)
    return array


def _number(value: object, row: int, col: int) -> float:
    """A plain int or float (not bool, not a string) as a float; huge ints count as out of range."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.integer | np.floating):
        raise InvalidArray(f"value at [{row}][{col}] is a {type(value).__name__}, not a number")
    try:
        return float(value)
    except OverflowError:
        raise InvalidArray(f"value at [{row}][{col}] is far outside the declared range") from None
