"""MNIST from the four original IDX gzip files: locate, verify, download, split.

The data directory comes from ``--data-dir``, else ``$MNIST_DIR``, else
``data/mnist``. Files already there are verified against the published
checksums; missing ones are fetched from public mirrors.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.download import RemoteFile, fetch, verify
from training.idx import load_images, load_labels

DEFAULT_DATA_DIR = Path("data/mnist")

MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist",
    "https://storage.googleapis.com/cvdf-datasets/mnist",
    "https://yann.lecun.com/exdb/mnist",
)

FILES = {
    "train_images": RemoteFile(
        "train-images-idx3-ubyte.gz",
        9912422,
        "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    ),
    "train_labels": RemoteFile(
        "train-labels-idx1-ubyte.gz",
        28881,
        "d53e105ee54ea40749a09fcbcd1e9432",
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    ),
    "test_images": RemoteFile(
        "t10k-images-idx3-ubyte.gz",
        1648877,
        "9fb629c4189551a2d022fa330f9573f3",
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    ),
    "test_labels": RemoteFile(
        "t10k-labels-idx1-ubyte.gz",
        4542,
        "ec29112dd5afa0611ce80d1b7f02629c",
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    ),
}

TRAIN_COUNT, TEST_COUNT = 60000, 10000


@dataclass(frozen=True)
class Split:
    """Images ``uint8[N, 28, 28]`` and labels ``uint8[N]``."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def head(self, n: int) -> Split:
        return Split(self.images[:n], self.labels[:n])


@dataclass(frozen=True)
class Mnist:
    train: Split
    val: Split
    test: Split
    checksums: dict[str, str]


def resolve_data_dir(flag: str | Path | None) -> Path:
    """The flag if given, else ``$MNIST_DIR``, else ``data/mnist``."""
    if flag:
        return Path(flag)
    env = os.environ.get("MNIST_DIR")
    return Path(env) if env else DEFAULT_DATA_DIR


def ensure_files(data_dir: Path, mirrors: Sequence[str] = MIRRORS, download: bool = True) -> dict[str, Path]:
    """Verify the four files in ``data_dir``, downloading any that are missing."""
    paths = {}
    for key, remote in FILES.items():
        path = data_dir / remote.name
        if not path.exists():
            if not download:
                raise FileNotFoundError(f"{path} is missing and downloading is disabled")
            fetch(remote, data_dir, mirrors)
        verify(path, remote)
        paths[key] = path
    return paths


def load_mnist(
    data_dir: Path,
    val_size: int = 5000,
    split_seed: int = 0,
    mirrors: Sequence[str] = MIRRORS,
    download: bool = True,
) -> Mnist:
    """Load MNIST with a validation set held out from the training set.

    The split is a seeded permutation, independent of the training seed, so every
    run selects models on the same validation images. The test set is untouched.
    """
    paths = ensure_files(data_dir, mirrors, download)
    train_x = load_images(paths["train_images"], TRAIN_COUNT)
    train_y = load_labels(paths["train_labels"], TRAIN_COUNT)
    test = Split(load_images(paths["test_images"], TEST_COUNT), load_labels(paths["test_labels"], TEST_COUNT))
    order = np.random.default_rng(split_seed).permutation(TRAIN_COUNT)
    val_idx, train_idx = np.sort(order[:val_size]), np.sort(order[val_size:])
    checksums = {remote.name: remote.sha256 for remote in FILES.values()}
    return Mnist(
        train=Split(train_x[train_idx], train_y[train_idx]),
        val=Split(train_x[val_idx], train_y[val_idx]),
        test=test,
        checksums=checksums,
    )


def load_test_set(data_dir: Path, download: bool = True) -> Split:
    """Only the 10,000 test images and labels, for evaluation and export."""
    paths = ensure_files(data_dir, download=download)
    return Split(load_images(paths["test_images"], TEST_COUNT), load_labels(paths["test_labels"], TEST_COUNT))
