"""eval/labels.py: labels.csv round-trips, and a damaged file is refused with the row that is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.labels import LABELS_FILE, Sample, read_labels, write_labels


def test_rows_round_trip_with_their_params(tmp_path: Path) -> None:
    samples = [
        Sample("font-00000.png", 0, "font", {"size": [40, 60], "font": "DejaVuSans, Bold"}),
        Sample("scan-00001.jpg", 1, "scan", {}),
    ]

    write_labels(tmp_path, samples)

    assert read_labels(tmp_path) == samples


def test_wrong_columns_and_bad_rows_are_refused(tmp_path: Path) -> None:
    (tmp_path / LABELS_FILE).write_text("file,digit\nx.png,3\n")
    with pytest.raises(ValueError, match="expected columns"):
        read_labels(tmp_path)

    (tmp_path / LABELS_FILE).write_text('file,label,family,params\nx.png,three,font,"{}"\n')
    with pytest.raises(ValueError, match=r"labels.csv:2: malformed row"):
        read_labels(tmp_path)
