"""Uncertainty scores for the non-digit report: ``f(logits[N, 10], inputs[N, 28, 28]) -> score[N]``,
higher meaning "less likely a digit the model reads well". ``eval/nondigit_score.py --score`` takes
any function with this signature as ``module:function``; this module holds the default.
"""

from __future__ import annotations

import numpy as np

from eval.pipeline import softmax


def max_softmax(logits: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """``1 - max softmax(logits)``: 0 for a sure answer, up to 0.9 for ten equal odds. The inputs are
    not used (they are there for scores that look at the picture)."""
    del inputs
    return np.asarray(1.0 - softmax(logits).max(axis=1))
