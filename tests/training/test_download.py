"""Downloads from real HTTP servers on 127.0.0.1: verified, atomic, and clear when they fail."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from training.data import FILES, ensure_files
from training.download import ChecksumError, DownloadError, RemoteFile, fetch, verify

PAYLOAD = bytes(range(256)) * 300


def remote_for(name: str, data: bytes) -> RemoteFile:
    return RemoteFile(name, len(data), hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest())


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[object]:
    """Start static HTTP servers over directories; yields a function dir -> base URL."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(directory: Path) -> str:
        handler = functools.partial(QuietHandler, directory=str(directory))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def only_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_good_download_is_verified_and_in_place(tmp_path: Path, serve) -> None:
    good = tmp_path / "good"
    good.mkdir()
    (good / "blob.bin").write_bytes(PAYLOAD)
    dest = tmp_path / "dest"
    path = fetch(remote_for("blob.bin", PAYLOAD), dest, [serve(good)])
    assert path.read_bytes() == PAYLOAD
    assert only_files(dest) == ["blob.bin"], "no temporary file may be left behind"


def test_corrupt_download_is_never_left_looking_valid(tmp_path: Path, serve) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "blob.bin").write_bytes(PAYLOAD[:-1] + b"X")
    dest = tmp_path / "dest"
    with pytest.raises(DownloadError, match="checksum mismatch"):
        fetch(remote_for("blob.bin", PAYLOAD), dest, [serve(bad)])
    assert only_files(dest) == []


def test_falls_back_to_the_next_mirror(tmp_path: Path, serve) -> None:
    bad, good = tmp_path / "bad", tmp_path / "good"
    bad.mkdir()
    good.mkdir()
    (bad / "blob.bin").write_bytes(b"corrupt")
    (good / "blob.bin").write_bytes(PAYLOAD)
    path = fetch(remote_for("blob.bin", PAYLOAD), tmp_path / "dest", [serve(bad), serve(good)])
    assert path.read_bytes() == PAYLOAD


def test_offline_error_lists_mirrors_and_manual_steps(tmp_path: Path, serve) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    mirrors = [serve(empty), "http://127.0.0.1:9/unreachable"]
    with pytest.raises(DownloadError) as info:
        fetch(remote_for("blob.bin", PAYLOAD), tmp_path / "dest", mirrors, timeout_s=5)
    message = str(info.value)
    assert all(m in message for m in mirrors)
    assert "by hand" in message and "MNIST_DIR" in message


def test_real_mnist_file_from_a_local_mirror(tmp_path: Path, serve, mnist_dir: Path) -> None:
    labels = FILES["test_labels"]
    data_dir = tmp_path / "mnist"
    path = fetch(labels, data_dir, [serve(mnist_dir)])
    verify(path, labels)


def test_existing_corrupt_file_is_reported(tmp_path: Path, mnist_dir: Path) -> None:
    for remote in FILES.values():
        (tmp_path / remote.name).symlink_to((mnist_dir / remote.name).resolve())
    (tmp_path / FILES["test_labels"].name).unlink()
    (tmp_path / FILES["test_labels"].name).write_bytes(b"\0" * FILES["test_labels"].size)
    with pytest.raises(ChecksumError, match=r"t10k-labels.*checksum mismatch"):
        ensure_files(tmp_path, download=False)


def test_missing_file_without_download_is_clear(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"train-images.*missing"):
        ensure_files(tmp_path, download=False)
