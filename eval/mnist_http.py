"""Send the MNIST test set as PNG files through a running service's /predict and report accuracy.

    python eval/mnist_http.py --url http://127.0.0.1:8000 --mnist-dir ../shared/data/mnist

Checks that preprocessing does not hurt MNIST-like input: the figure should equal the model's
offline test accuracy in its sidecar (``GET /model``).
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import numpy as np
from PIL import Image

from training.data import load_test_set, resolve_data_dir


def png(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()


def main(argv: list[str] | None = None) -> float:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:8000", help="service base URL (default: %(default)s)")
    p.add_argument("--mnist-dir", default=None, help="MNIST directory (default: $MNIST_DIR or data/mnist)")
    p.add_argument(
        "--per-request", type=int, default=100, help="PNG files per request (default: %(default)s)"
    )
    args = p.parse_args(argv)
    test = load_test_set(resolve_data_dir(args.mnist_dir), download=False)
    predicted: list[int] = []
    with httpx.Client(base_url=args.url, timeout=120) as client:
        offline = client.get("/model").json()["test_accuracy"]
        for start in range(0, len(test), args.per_request):
            batch = test.images[start : start + args.per_request]
            files = [("file", (f"{start + i}.png", png(x), "image/png")) for i, x in enumerate(batch)]
            response = client.post("/predict", files=files)
            response.raise_for_status()
            predicted += [p["digit"] for p in response.json()["predictions"]]
    accuracy = float(np.mean(np.array(predicted) == test.labels))
    print(
        f"MNIST test set as PNG through /predict: {100 * accuracy:.2f}% ({len(predicted)} images); "
        f"offline (sidecar): {100 * offline:.2f}%; difference {100 * (accuracy - offline):+.2f} points"
    )
    return accuracy


if __name__ == "__main__":
    main()
