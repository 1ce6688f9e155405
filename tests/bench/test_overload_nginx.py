"""The overload part through deploy/nginx.conf: a real nginx before a real service, driven by h2load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("aiohttp", reason="bench.overload's recovery probe needs aiohttp (pip install aiohttp)")

from bench.digits import load_digits
from bench.load.bodies import predict_body
from bench.load.h2load import h2load_path
from bench.parts import body_file, floor_while_busy, overload_via_nginx
from bench.servers import nginx
from tests.live import live_server

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def test_the_load_reaches_the_service_through_nginx(tmp_path: Path) -> None:
    if nginx.nginx_binary() is None or h2load_path() is None:
        pytest.skip("needs nginx and h2load (apt-get install -y nginx nghttp2-client)")
    body = predict_body(load_digits()[:1], "png")
    file = body_file(body, tmp_path, "one")
    with live_server() as url:
        result = overload_via_nginx(url, body, file, 100.0, 1.0, tmp_path, max_inflight=64)
    assert result is not None
    assert result["max_inflight"] == 64
    assert result["sent"] > 0 and result["statuses"].get("200", 0) > 0, result["statuses"]
    # nginx's log has a "<status> <seconds> [<upstream>] ..." line per request: h2load's and the probes'.
    proxied = (tmp_path / "nginx" / "access.log").read_text().splitlines()
    through = sum(line.startswith("200 ") for line in proxied)
    assert through >= result["statuses"]["200"], f"only {through} answers came through nginx"


def test_the_busy_floor_refuses_in_nginx_while_wrk_keeps_the_service_busy(tmp_path: Path) -> None:
    if nginx.nginx_binary() is None or h2load_path() is None or shutil.which("wrk") is None:
        pytest.skip("needs nginx, h2load and wrk (apt-get install -y nginx nghttp2-client wrk)")
    body = predict_body(load_digits()[:1], "png")
    file = body_file(body, tmp_path, "one")
    with live_server() as url:
        floor = floor_while_busy(url, body, file, 100.0, 1.0, tmp_path, None)
    assert floor is not None
    assert floor["sent"] > 0 and floor["statuses"] == {"503": floor["sent"]}, floor["statuses"]
    assert floor["rejected_p99_ms"] is not None
    assert floor["service_rps"] > 0, "wrk kept the service busy meanwhile"
    proxied = (tmp_path / "nginx-floor" / "access.log").read_text().count(" [127.0.0.1")
    assert proxied == 0, "the floor's nginx refuses everything itself"
