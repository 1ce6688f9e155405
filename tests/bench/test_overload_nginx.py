"""The overload part through deploy/nginx.conf: a real nginx before a real service, driven by hey."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("aiohttp", reason="bench.overload's recovery probe needs aiohttp (pip install aiohttp)")

from bench import nginx
from bench.bodies import predict_body
from bench.digits import load_digits
from bench.hey import hey_path
from bench.parts import body_file, overload_via_nginx
from tests.live import live_server

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def test_the_load_reaches_the_service_through_nginx(tmp_path: Path) -> None:
    if nginx.nginx_binary() is None or hey_path() is None:
        pytest.skip("needs nginx and hey (apt-get install -y nginx hey)")
    body = predict_body(load_digits()[:1], "png")
    file = body_file(body, tmp_path, "one")
    with live_server() as url:
        result = overload_via_nginx(url, body, file, 100.0, 1.0, tmp_path, max_inflight=64)
    assert result is not None
    assert result["max_inflight"] == 64
    assert result["sent"] > 0 and result["statuses"].get("200", 0) > 0, result["statuses"]
    # nginx's log has a "<status> <seconds> [<upstream>] ..." line per request: hey's and the probes'.
    proxied = (tmp_path / "nginx" / "access.log").read_text().splitlines()
    through = sum(line.startswith("200 ") for line in proxied)
    assert through >= result["statuses"]["200"], f"only {through} answers came through nginx"
