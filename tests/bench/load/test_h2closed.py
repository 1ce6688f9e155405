"""The closed-loop h2load driver: its command line, and reading its log and summary into a Point."""

from __future__ import annotations

from pathlib import Path

from tritonclient.grpc import service_pb2

from bench.digits import load_digits
from bench.load.bodies import grpc_infer_body, v2_infer_body
from bench.load.h2closed import command, summarise

SUMMARY = "requests: 10 total, 10 started, 7 done, 6 succeeded, 1 failed, 2 errored, 1 timeout\n"


def test_grpc_goes_as_h2c_with_its_headers_and_rest_as_http1() -> None:
    digits = load_digits()[:2]
    grpc = command("h2load", "u", Path("b"), grpc_infer_body(digits, "m"), 64, 5.0, 1.0)
    assert grpc[1:3] == ["-m", "1"] and "--h1" not in grpc
    assert grpc[grpc.index("-d") + 2 : grpc.index("-d") + 4] == ["-H", "content-type: application/grpc"]
    assert "te: trailers" in grpc and grpc[grpc.index("--warm-up-time") + 1] == "1"
    rest = command("h2load", "u", Path("b"), v2_infer_body(digits), 1, 5.0, 0.0)
    assert "--h1" in rest and "--warm-up-time" not in rest
    assert any(h.startswith("Inference-Header-Content-Length: ") for h in rest)


def test_the_grpc_body_is_one_length_prefixed_model_infer_request() -> None:
    body = grpc_infer_body(load_digits()[:3], "mnist-lstm").content
    assert body[0] == 0 and int.from_bytes(body[1:5], "big") == len(body) - 5
    request = service_pb2.ModelInferRequest.FromString(body[5:])
    assert (request.model_name, list(request.inputs[0].shape)) == ("mnist-lstm", [3, 28, 28])
    assert len(request.raw_input_contents[0]) == 3 * 784 * 4


def test_summary_counts_2xx_as_throughput_and_everything_else_as_errors() -> None:
    lines = [f"{k}\t{200 if k < 5 else 503}\t{(k + 1) * 1000}" for k in range(6)]
    point = summarise(lines, SUMMARY, connections=4, duration_s=2.0)
    assert (point.concurrency, point.rps, point.statuses) == (4, 2.5, {"200": 5, "503": 1})
    assert point.errors == 1 + 4, "the 503 and h2load's failed, errored and timed-out requests"
    assert point.requests == 6 + 4 and point.p50_ms == 3.5 and point.p99_ms <= 6.0
