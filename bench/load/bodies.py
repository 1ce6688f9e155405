"""Fixed request bodies for the load generators: multipart PNG uploads and JSON pixel arrays.

httpx encodes them (so the multipart framing is exactly what a real client sends); wrk and the
overload generator then replay the same bytes on every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx

from bench.digits import Digit

Payload = Literal["png", "json"]


@dataclass(frozen=True)
class Body:
    content: bytes
    content_type: str
    images: int

    def write(self, path: Path) -> Path:
        path.write_bytes(self.content)
        return path


def predict_body(digits: list[Digit], payload: Payload) -> Body:
    """One POST /predict body carrying every digit in ``digits``."""
    if payload == "png":
        files = [("file", (f"{i}.png", d.png, "image/png")) for i, d in enumerate(digits)]
        request = httpx.Request("POST", "http://127.0.0.1/predict", files=files)
    else:
        request = httpx.Request(
            "POST", "http://127.0.0.1/predict", json={"images": [d.pixels for d in digits]}
        )
    return Body(request.read(), request.headers["content-type"], len(digits))
