"""Fixed request bodies for the load generators: multipart PNG uploads and JSON pixel arrays for
``/predict``, and the Open Inference Protocol's infer requests over REST and gRPC.

Real clients encode them (httpx the multipart framing, tritonclient the v2 bodies and messages), so
the bytes are exactly what such a client sends; the generators then replay them on every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx
import numpy as np
import tritonclient.http as triton_http
from tritonclient.grpc import service_pb2

from bench.digits import Digit

Payload = Literal["png", "json"]


@dataclass(frozen=True)
class Body:
    content: bytes
    content_type: str
    images: int
    headers: tuple[tuple[str, str], ...] = ()
    """Headers the request needs besides its content type."""

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


def model_input(digits: list[Digit]) -> np.ndarray:
    """The digits as the v2 protocol's input: float32 ``[N, 28, 28]``, pixel / 255."""
    return (np.asarray([d.pixels for d in digits], dtype=np.float32) / 255.0).astype(np.float32)


def v2_infer_body(digits: list[Digit]) -> Body:
    """``POST /v2/models/<model>/infer`` as ``tritonclient.http`` sends it: binary tensors in and out."""
    tensor = triton_http.InferInput("pixels", [len(digits), 28, 28], "FP32")
    tensor.set_data_from_numpy(model_input(digits), binary_data=True)
    output = triton_http.InferRequestedOutput("probabilities", binary_data=True)
    body, json_size = triton_http.InferenceServerClient.generate_request_body([tensor], [output])
    headers = (("Inference-Header-Content-Length", str(json_size)),)
    return Body(body, "application/octet-stream", len(digits), headers)


def grpc_infer_body(digits: list[Digit], model: str) -> Body:
    """One gRPC ``ModelInfer`` call's HTTP/2 body, as ``tritonclient.grpc`` sends it (raw tensor bytes):
    the length-prefixed message (a 0 byte, not compressed; 4 bytes of length, big-endian; the message)."""
    request = service_pb2.ModelInferRequest(model_name=model)
    request.inputs.add(name="pixels", datatype="FP32", shape=[len(digits), 28, 28])
    request.raw_input_contents.append(model_input(digits).astype("<f4").tobytes())
    message = request.SerializeToString()
    frame = b"\x00" + len(message).to_bytes(4, "big") + message
    return Body(frame, "application/grpc", len(digits), (("te", "trailers"),))
