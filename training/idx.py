"""Parse MNIST's IDX files (optionally gzipped) into numpy arrays, strictly.

The IDX format is a 4-byte magic number (two zero bytes, a dtype code, the
number of dimensions), one big-endian uint32 per dimension, then the data.
Anything that does not match exactly raises :class:`IdxFormatError` naming the
file, so a truncated or corrupt download can never turn into a silently
wrong array.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

UBYTE = 0x08
IMAGES_MAGIC = 0x00000803  # ubyte, 3 dimensions
LABELS_MAGIC = 0x00000801  # ubyte, 1 dimension


class IdxFormatError(ValueError):
    """An IDX file is malformed: bad magic, wrong dimensions, truncated or corrupt."""


def read_bytes(path: Path) -> bytes:
    """Return the file's content, gunzipped when the name ends in ``.gz``."""
    try:
        raw = path.read_bytes()
        return gzip.decompress(raw) if path.suffix == ".gz" else raw
    except (OSError, EOFError, zlib.error) as exc:
        raise IdxFormatError(f"{path}: cannot decompress ({exc})") from exc


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Decode one IDX payload of unsigned bytes into an array of its declared shape."""
    if len(data) < 4:
        raise IdxFormatError(f"{name}: file too short for an IDX header ({len(data)} bytes)")
    zero, dtype_code, ndim = int.from_bytes(data[:2], "big"), data[2], data[3]
    if zero != 0 or dtype_code != UBYTE or not 1 <= ndim <= 3:
        magic = int.from_bytes(data[:4], "big")
        raise IdxFormatError(f"{name}: bad magic number 0x{magic:08x} (expected unsigned-byte IDX)")
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise IdxFormatError(f"{name}: truncated header")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape))
    actual = len(data) - header_len
    if actual != expected:
        kind = "truncated" if actual < expected else "has trailing bytes"
        raise IdxFormatError(
            f"{name}: {kind}: header declares shape {shape} ({expected} bytes), found {actual}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header_len).reshape(shape)


def load_images(path: Path, count: int | None = None) -> np.ndarray:
    """Load a 28x28 image file as ``uint8[N, 28, 28]``, checking magic, size and count."""
    data = read_bytes(path)
    if data[:4] != IMAGES_MAGIC.to_bytes(4, "big"):
        raise IdxFormatError(f"{path}: bad magic number {data[:4].hex()} for an image file")
    arr = parse_idx(data, str(path))
    if arr.shape[1:] != (28, 28):
        raise IdxFormatError(f"{path}: images are {arr.shape[1:]}, expected (28, 28)")
    _check_count(path, arr, count)
    return arr


def load_labels(path: Path, count: int | None = None) -> np.ndarray:
    """Load a label file as ``uint8[N]`` with every label in 0..9."""
    data = read_bytes(path)
    if data[:4] != LABELS_MAGIC.to_bytes(4, "big"):
        raise IdxFormatError(f"{path}: bad magic number {data[:4].hex()} for a label file")
    arr = parse_idx(data, str(path))
    _check_count(path, arr, count)
    if arr.size and int(arr.max()) > 9:
        raise IdxFormatError(f"{path}: label {int(arr.max())} is outside 0..9")
    return arr


def _check_count(path: Path, arr: np.ndarray, count: int | None) -> None:
    if count is not None and arr.shape[0] != count:
        raise IdxFormatError(f"{path}: holds {arr.shape[0]} items, expected {count}")
