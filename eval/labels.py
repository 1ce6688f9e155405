"""The ``labels.csv`` of an image folder, in either of two formats, detected from its header:

- generated (``eval/synth.py``, ``eval/nondigits.py``): ``file, label, family, params`` (params as JSON);
- a collected real set (such as realworld-dev): ``path, label, source, style``.

Both become :class:`Sample` rows; a real set's ``style`` takes the place of ``family`` (the grouping
the reports use) and its ``source`` goes into ``params``. :func:`grouping` says which word a report
should print for that column.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

LABELS_FILE = "labels.csv"
COLUMNS = ("file", "label", "family", "params")
REAL_COLUMNS = ("path", "label", "source", "style")
NOT_A_DIGIT = -1  # the label of every image in a non-digit folder


@dataclass(frozen=True)
class Sample:
    """One labelled image: its file name (relative to the folder), digit, family and generator params."""

    file: str
    label: int
    family: str
    params: dict[str, object]


def write_labels(folder: Path, samples: Iterable[Sample]) -> None:
    """Write ``folder/labels.csv`` in the generated format, params as compact JSON."""
    with (folder / LABELS_FILE).open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for s in samples:
            writer.writerow([s.file, s.label, s.family, json.dumps(s.params, separators=(",", ":"))])


def grouping(folder: Path) -> str:
    """``"family"`` for a generated folder, ``"style"`` for a real one; ``ValueError`` for neither."""
    return "style" if _columns(folder / LABELS_FILE) == REAL_COLUMNS else "family"


def read_labels(folder: Path) -> list[Sample]:
    """Read ``folder/labels.csv`` in either format; raise ``ValueError`` naming the row when one is
    malformed."""
    path = folder / LABELS_FILE
    real = _columns(path) == REAL_COLUMNS
    with path.open(newline="") as handle:
        samples = []
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                samples.append(_real_row(row) if real else _generated_row(row))
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{path}:{line}: malformed row ({exc})") from exc
    return samples


def _columns(path: Path) -> tuple[str, ...]:
    with path.open(newline="") as handle:
        header = tuple(next(csv.reader(handle), ()))
    if header not in (COLUMNS, REAL_COLUMNS):
        raise ValueError(f"{path}: expected columns {COLUMNS} or {REAL_COLUMNS}, found {list(header)}")
    return header


def _generated_row(row: dict[str, str]) -> Sample:
    return Sample(row["file"], int(row["label"]), row["family"], json.loads(row["params"]))


def _real_row(row: dict[str, str]) -> Sample:
    if not row["path"] or not row["style"]:
        raise ValueError("empty path or style")
    return Sample(row["path"], int(row["label"]), row["style"], {"source": row["source"]})
