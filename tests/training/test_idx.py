"""The IDX parser accepts the real files and rejects every kind of damage by name."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from training.idx import IdxFormatError, load_images, load_labels, parse_idx


def idx_bytes(arr: np.ndarray, magic_dims: int | None = None) -> bytes:
    dims = arr.ndim if magic_dims is None else magic_dims
    header = bytes([0, 0, 0x08, dims]) + b"".join(d.to_bytes(4, "big") for d in arr.shape)
    return header + arr.astype(np.uint8).tobytes()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return path


def test_real_test_set_parses(mnist_dir: Path) -> None:
    images = load_images(mnist_dir / "t10k-images-idx3-ubyte.gz", 10000)
    labels = load_labels(mnist_dir / "t10k-labels-idx1-ubyte.gz", 10000)
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_good_synthetic_file_round_trips(tmp_path: Path) -> None:
    arr = np.arange(3 * 28 * 28, dtype=np.uint32).reshape(3, 28, 28) % 256
    path = write(tmp_path, "imgs.gz", idx_bytes(arr))
    assert np.array_equal(load_images(path, 3), arr)


def test_bad_magic_is_named(tmp_path: Path) -> None:
    data = bytearray(idx_bytes(np.zeros(5, np.uint8)))
    data[2] = 0x0D  # float dtype code
    path = write(tmp_path, "labels.gz", bytes(data))
    with pytest.raises(IdxFormatError, match=r"labels\.gz.*magic"):
        load_labels(path)


def test_labels_file_given_as_images_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "labels.gz", idx_bytes(np.zeros(5, np.uint8)))
    with pytest.raises(IdxFormatError, match="magic"):
        load_images(path)


def test_truncated_file_is_named(tmp_path: Path) -> None:
    data = idx_bytes(np.zeros((4, 28, 28), np.uint8))[:-100]
    path = write(tmp_path, "imgs.gz", data)
    with pytest.raises(IdxFormatError, match=r"imgs\.gz: truncated"):
        load_images(path)


def test_truncated_gzip_stream_is_named(tmp_path: Path) -> None:
    full = gzip.compress(idx_bytes(np.zeros((4, 28, 28), np.uint8)))
    path = tmp_path / "imgs.gz"
    path.write_bytes(full[: len(full) // 2])
    with pytest.raises(IdxFormatError, match=r"imgs\.gz: cannot decompress"):
        load_images(path)


def test_trailing_bytes_are_rejected() -> None:
    with pytest.raises(IdxFormatError, match="trailing"):
        parse_idx(idx_bytes(np.zeros(5, np.uint8)) + b"\0", "x")


def test_wrong_count_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "labels.gz", idx_bytes(np.zeros(7, np.uint8)))
    with pytest.raises(IdxFormatError, match=r"labels\.gz: holds 7 items, expected 10"):
        load_labels(path, 10)


def test_wrong_image_size_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "imgs.gz", idx_bytes(np.zeros((2, 27, 28), np.uint8)))
    with pytest.raises(IdxFormatError, match=r"\(27, 28\)"):
        load_images(path)


def test_label_out_of_range_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "labels.gz", idx_bytes(np.array([1, 2, 10])))
    with pytest.raises(IdxFormatError, match=r"outside 0\.\.9"):
        load_labels(path)


def test_too_short_for_header() -> None:
    with pytest.raises(IdxFormatError, match="too short"):
        parse_idx(b"\0\0", "x")
