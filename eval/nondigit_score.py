"""Measure what a digit model with the service's preprocessing does with pictures that are not digits,
against real digits: refusals per kind, and the trade-off of flagging uncertain answers.

    python eval/nondigit_score.py --nondigits /tmp/nondigits --digits ../shared/eval/realworld-dev \\
        --json /tmp/nondigits.json --png /tmp/tradeoff.png
    python eval/nondigit_score.py --nondigits /tmp/nondigits --digits ../shared/eval/realworld-dev \\
        --url http://127.0.0.1:8000

``--nondigits`` is a folder from ``eval/nondigits.py`` (its ``family`` column is the kind);
``--digits`` any labelled digit folder ``eval/realworld.py`` reads. Offline, each file goes through
``--preprocess`` and the ONNX model; a refusal is a domain error (``no_digit``: the preprocessing
found no ink). With ``--url``, through the running service (a 422 ``no_digit`` is the refusal) and,
when the service sends it, its own ``uncertain`` flag. The uncertainty score is ``--score`` (a
``module:function`` taking ``(logits[N, 10], inputs[N, 28, 28])`` and returning ``score[N]``, higher
meaning less sure), given the logits divided by ``--temperature``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval import service_client, tradeoff
from eval.labels import Sample, read_labels
from eval.pipeline import Predict, Results, latest_model, load_function, onnx_predictor, run_offline
from eval.tradeoff import Flags, Point

ROOT = Path(__file__).resolve().parents[1]
NO_DIGIT = "no_digit"
REPORT_SHARE = 0.05  # the per-kind table shows what is flagged when this share of real digits is


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--nondigits", type=Path, required=True, help="folder from eval/nondigits.py")
    p.add_argument("--digits", type=Path, required=True, help="folder of labelled real (or generated) digits")
    p.add_argument("--model", type=Path, default=latest_model(ROOT), help="ONNX model (default: %(default)s)")
    p.add_argument("--url", default=None, help="measure a running service at this base URL instead")
    p.add_argument("--workers", type=int, default=4, help="parallel requests with --url (default: 4)")
    p.add_argument(
        "--preprocess",
        default="service.images.preprocess:preprocess_image",
        help="module:function (default: %(default)s)",
    )
    p.add_argument(
        "--score",
        default="eval.uncertainty:max_softmax",
        help="uncertainty score, module:function (default: %(default)s)",
    )
    p.add_argument("--temperature", type=float, default=1.0, help="logits are divided by this (default: 1)")
    p.add_argument(
        "--thresholds",
        default=None,
        help="comma-separated thresholds for the table (default: at 0-50 %% of digits flagged)",
    )
    p.add_argument("--max-pixels", type=int, default=40_000_000, help="passed to the preprocessing")
    p.add_argument("--threads", type=int, default=1, help="onnxruntime intra-op threads (default: 1)")
    p.add_argument("--json", type=Path, default=None, help="write the report here as JSON")
    p.add_argument("--png", type=Path, default=None, help="draw the trade-off curve here")
    return p.parse_args(argv)


def classify(folder: Path, args: argparse.Namespace, predict: Predict | None) -> tuple[list[Sample], Results]:
    """Every image of ``folder`` through the service (``--url``) or the offline pipeline."""
    samples = read_labels(folder)
    blobs = [(folder / s.file).read_bytes() for s in samples]
    if args.url:
        return samples, service_client.classify(
            args.url, [(Path(s.file).name, b) for s, b in zip(samples, blobs, strict=True)], args.workers
        )
    assert predict is not None
    return samples, run_offline(blobs, load_function(args.preprocess), predict, args.max_pixels)


def scores(results: Results, spec: str, temperature: float) -> np.ndarray:
    """The uncertainty score of every accepted image (NaN where refused)."""
    out = np.full(len(results.refusals), np.nan)
    kept = ~results.refused
    if kept.any():
        out[kept] = load_function(spec)(results.logits[kept] / temperature, results.inputs[kept])
    return out


def per_kind(
    samples: Sequence[Sample], results: Results, flags: Flags, at: Point, own: np.ndarray | None
) -> tuple[str, dict[str, object]]:
    """Per kind: images, share refused as no_digit, share flagged at ``at``, share the service flags."""
    kinds = np.array([s.family for s in samples])
    no_digit = np.array([code == NO_DIGIT for code in results.refusals])
    marked = tradeoff.flagged(flags, at.threshold)
    head = f"{'kind':<14}{'images':>7}{'no_digit':>10}{'flagged':>10}" + (
        f"{'service flag':>14}" if own is not None else ""
    )
    lines, report = [head, "-" * len(head)], dict[str, object]()
    for kind in [*dict.fromkeys(kinds.tolist()), "all"]:
        rows = kinds == kind if kind != "all" else np.ones(len(kinds), dtype=bool)
        entry: dict[str, float | int] = {
            "images": int(rows.sum()),
            "no_digit": float(no_digit[rows].mean()),
            "flagged": float(marked[rows].mean()),
        }
        line = (
            f"{kind:<14}{entry['images']:>7}{100 * entry['no_digit']:>9.1f}%{100 * entry['flagged']:>9.1f}%"
        )
        if own is not None:
            entry["service_flag"] = float(own[rows].mean())
            line += f"{100 * entry['service_flag']:>13.1f}%"
        lines.append(line)
        report[kind] = entry
    return "\n".join(lines), report


def service_flag(results: Results) -> np.ndarray | None:
    """Refused or flagged ``uncertain`` by the service itself; None when it sends no such flag."""
    if results.uncertain is None:
        return None
    return results.refused | np.array([bool(u) for u in results.uncertain])


@dataclass(frozen=True)
class Measured:
    """Both folders through the pipeline, with each image's flags."""

    nondigits: list[Sample]
    nd: Results
    nd_flags: Flags
    digits: list[Sample]
    dg: Results
    d_flags: Flags


def measure(args: argparse.Namespace) -> Measured:
    """Classify both folders and score every accepted image."""
    if args.url is None and not args.model.is_file():
        raise SystemExit(f"error: no model at {args.model}; pass --model PATH to an ONNX file")
    predict = None if args.url else onnx_predictor(args.model, args.threads)
    nd_samples, nd = classify(args.nondigits, args, predict)
    d_samples, dg = classify(args.digits, args, predict)
    right = dg.digits == np.array([s.label for s in d_samples])
    no = np.zeros(len(nd_samples), dtype=bool)
    nd_flags = Flags(nd.refused, scores(nd, args.score, args.temperature), no)
    return Measured(
        nd_samples,
        nd,
        nd_flags,
        d_samples,
        dg,
        Flags(dg.refused, scores(dg, args.score, args.temperature), right),
    )


def operating_points(args: argparse.Namespace, m: Measured, points: list[Point]) -> list[tuple[str, Point]]:
    """The table's rows: ``--thresholds``, or the points at 0-50 % of real digits flagged; then the
    service's own flag when it sends one."""
    if args.thresholds:
        chosen = [tradeoff.point(m.nd_flags, m.d_flags, float(t)) for t in args.thresholds.split(",")]
    else:
        chosen = tradeoff.at_digit_shares(points)
    rows = [("refusals only" if not np.isfinite(p.threshold) else f"{p.threshold:.4g}", p) for p in chosen]
    own_nd, own_d = service_flag(m.nd), service_flag(m.dg)
    if own_nd is not None and own_d is not None:
        marked = np.concatenate([own_d, own_nd])
        rows.append(("service flag", tradeoff.point(m.nd_flags, m.d_flags, np.inf, marked)))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    m = measure(args)
    points = tradeoff.curve(m.nd_flags, m.d_flags)
    rows = operating_points(args, m, points)
    at = tradeoff.at_digit_shares(points, [REPORT_SHARE])[-1]
    kinds_text, kinds = per_kind(m.nondigits, m.nd, m.nd_flags, at, service_flag(m.nd))
    auc = tradeoff.auroc(m.nd_flags, m.d_flags)
    via = f"POST {args.url}/predict" if args.url else f"{args.preprocess} + {args.model}"
    print(f"{len(m.nondigits)} non-digits from {args.nondigits}, {len(m.digits)} digits from {args.digits}")
    print(f"service = {via}; score = {args.score} at T = {args.temperature:g}\n")
    print(f"non-digits per kind (flagged: refused, or score above {at.threshold:.4g}, which flags ", end="")
    print(f"{100 * at.digits_flagged:.1f}% of real digits)\n{kinds_text}\n")
    print(f"trade-off (AUROC non-digits vs digits: {auc:.3f}; digits refused: {int(m.dg.refused.sum())})")
    print(tradeoff.table(rows))
    if args.json:
        report = {
            "nondigits": str(args.nondigits),
            "digits": str(args.digits),
            "service": args.url or args.preprocess,
        }
        report |= {
            "score": args.score,
            "temperature": args.temperature,
            "auroc": round(auc, 4),
            "per_kind": kinds,
        }
        report |= {"table": [{"row": name, **p.as_dict()} for name, p in rows]}
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    if args.png:
        title = f"{args.nondigits.name} vs {args.digits.name}: {args.score}, T={args.temperature:g}"
        tradeoff.plot(points, rows, args.png, title)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
