"""Resident memory of a server's process tree: find it by its listening port, sum RSS over it.

psutil when it is installed, else Linux's ``/proc`` (``VmRSS`` in ``/proc/<pid>/status``). Uvicorn
with several workers is a parent and its children; all of them count.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

PROC = Path("/proc")


def server_pid(port: int) -> int:
    """The oldest process started with ``--port <port>`` on its command line (the uvicorn parent)."""
    wanted = ["--port", str(port)]
    found = [
        pid for pid, argv in _command_lines() if any(argv[i : i + 2] == wanted for i in range(len(argv)))
    ]
    if not found:
        raise LookupError(f"no process was started with --port {port}")
    return min(found, key=_start_time)


def tree_rss_bytes(pid: int) -> int:
    """RSS of ``pid`` and all its descendants, in bytes (processes that exit meanwhile count as 0)."""
    psutil = _psutil()
    if psutil is None:
        return sum(_proc_rss(p) for p in [pid, *_descendants(pid)])
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for proc in procs:
        try:
            total += int(proc.memory_info().rss)
        except psutil.NoSuchProcess:
            continue
    return total


def _psutil() -> Any | None:
    """psutil if installed (optional: ``/proc`` does the same on Linux)."""
    try:
        return importlib.import_module("psutil")
    except ImportError:
        return None


def _command_lines() -> list[tuple[int, list[str]]]:
    result = []
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                raw = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            result.append((int(entry.name), raw.decode(errors="replace").split("\0")))
    return result


def _stat_fields(pid: int) -> list[str]:
    """``/proc/<pid>/stat`` after the command name (which may hold spaces): field 3 onwards."""
    text = (PROC / str(pid) / "stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def _start_time(pid: int) -> int:
    try:
        return int(_stat_fields(pid)[19])  # field 22, starttime
    except (OSError, ValueError):
        return 2**63


def _descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(_stat_fields(int(entry.name))[1])  # field 4, ppid
            except (OSError, ValueError):
                continue
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _proc_rss(pid: int) -> int:
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024  # kB
    except (OSError, ValueError):
        pass
    return 0
