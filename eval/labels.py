"""The ``labels.csv`` of a generated image folder: one row per image (file, label, family, params)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

LABELS_FILE = "labels.csv"
COLUMNS = ("file", "label", "family", "params")


@dataclass(frozen=True)
class Sample:
    """One labelled image: its file name (relative to the folder), digit, family and generator params."""

    file: str
    label: int
    family: str
    params: dict[str, object]


def write_labels(folder: Path, samples: Iterable[Sample]) -> None:
    """Write ``folder/labels.csv``, params as compact JSON."""
    with (folder / LABELS_FILE).open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for s in samples:
            writer.writerow([s.file, s.label, s.family, json.dumps(s.params, separators=(",", ":"))])


def read_labels(folder: Path) -> list[Sample]:
    """Read ``folder/labels.csv``; raise ``ValueError`` naming the row when one is malformed."""
    path = folder / LABELS_FILE
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f"{path}: expected columns {COLUMNS}, found {reader.fieldnames}")
        samples = []
        for line, row in enumerate(reader, start=2):
            try:
                samples.append(
                    Sample(row["file"], int(row["label"]), row["family"], json.loads(row["params"]))
                )
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{path}:{line}: malformed row ({exc})") from exc
    return samples
