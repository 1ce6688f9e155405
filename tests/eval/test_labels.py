"""eval/labels.py: labels.csv round-trips, and a damaged file is refused with the row that is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.labels import LABELS_FILE, Sample, grouping, read_labels, write_labels


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


def test_a_real_set_is_read_with_its_style_as_the_family(tmp_path: Path) -> None:
    (tmp_path / LABELS_FILE).write_text(
        "path,label,source,style\n"
        "images/d001.jpg,4,someone/repo:digits/4.jpg@abc1234,photo\n"
        "images/d002.png,0,other/repo:0.png@def5678,drawing-light-on-dark\n"
    )

    assert read_labels(tmp_path) == [
        Sample("images/d001.jpg", 4, "photo", {"source": "someone/repo:digits/4.jpg@abc1234"}),
        Sample("images/d002.png", 0, "drawing-light-on-dark", {"source": "other/repo:0.png@def5678"}),
    ]
    assert grouping(tmp_path) == "style"

    (tmp_path / LABELS_FILE).write_text("path,label,source,style\nimages/d001.jpg,four,x,photo\n")
    with pytest.raises(ValueError, match=r"labels.csv:2: malformed row"):
        read_labels(tmp_path)


def test_a_generated_set_is_grouped_by_family(tmp_path: Path) -> None:
    write_labels(tmp_path, [Sample("font-00000.png", 0, "font", {})])

    assert grouping(tmp_path) == "family"
