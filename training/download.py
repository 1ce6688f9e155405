"""Fetch files over HTTP with checksum verification and atomic writes.

A file is downloaded into a temporary name in the target directory, verified
(size, md5 and sha256), and only then renamed into place. A failed or corrupt
download never leaves a file that looks valid.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

CHUNK_BYTES = 1 << 16


@dataclass(frozen=True)
class RemoteFile:
    """A file we know by name, size and checksums."""

    name: str
    size: int
    md5: str
    sha256: str


class ChecksumError(ValueError):
    """A file's size or checksum differs from the expected one."""


class DownloadError(RuntimeError):
    """No mirror could provide a verified copy of a file."""


def file_digests(path: Path) -> tuple[str, str]:
    """Return ``(md5, sha256)`` hex digests of a file, read in chunks."""
    md5, sha = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            md5.update(chunk)
            sha.update(chunk)
    return md5.hexdigest(), sha.hexdigest()


def verify(path: Path, expected: RemoteFile) -> None:
    """Raise :class:`ChecksumError` unless ``path`` has the expected size and digests."""
    size = path.stat().st_size
    if size != expected.size:
        raise ChecksumError(f"{path}: size {size} bytes, expected {expected.size}")
    md5, sha = file_digests(path)
    if md5 != expected.md5 or sha != expected.sha256:
        raise ChecksumError(
            f"{path}: checksum mismatch (md5 {md5}, sha256 {sha}; "
            f"expected md5 {expected.md5}, sha256 {expected.sha256})"
        )


def fetch(remote: RemoteFile, directory: Path, mirrors: Sequence[str], timeout_s: float = 30.0) -> Path:
    """Download ``remote`` from the first mirror that yields a verified copy."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / remote.name
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + remote.name
        try:
            _download_verified(url, remote, target, timeout_s)
            return target
        except (OSError, urllib.error.URLError, ChecksumError) as exc:
            failures.append(f"  {url}: {exc}")
    raise DownloadError(
        f"could not download {remote.name}; tried:\n"
        + "\n".join(failures)
        + f"\nPlace a verified copy (sha256 {remote.sha256}) at {target} by hand, "
        "or point --data-dir / MNIST_DIR at a directory that has it."
    )


def _download_verified(url: str, remote: RemoteFile, target: Path, timeout_s: float) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{remote.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with (
            os.fdopen(fd, "wb") as out,
            urllib.request.urlopen(url, timeout=timeout_s) as resp,
            tqdm(total=remote.size, unit="B", unit_scale=True, desc=remote.name) as bar,
        ):
            while chunk := resp.read(CHUNK_BYTES):
                out.write(chunk)
                bar.update(len(chunk))
        verify(tmp, remote)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
