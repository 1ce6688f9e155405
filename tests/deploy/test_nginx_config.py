"""deploy/nginx.conf: nginx accepts it, and it keeps the load-balancing policy the scale profile needs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.servers.nginx import NGINX_CONF, check_config, nginx_binary, render_site, write_config
from tests.live import free_port


def _directive(text: str, name: str) -> list[str]:
    """The arguments of the first ``name ...;`` directive."""
    match = re.search(rf"^\s*{name}\s+([^;]*);", text, re.MULTILINE)
    assert match, f"{NGINX_CONF} has no '{name}' directive"
    return match.group(1).split()


def test_nginx_accepts_the_config(tmp_path: Path) -> None:
    nginx = nginx_binary()
    if nginx is None:
        pytest.skip("nginx is not installed (apt-get install -y nginx)")
    grpc = (["127.0.0.1:18003", "127.0.0.1:18004"], free_port())
    conf = write_config(tmp_path, ["127.0.0.1:18001", "127.0.0.1:18002"], free_port(), grpc=grpc)
    result = check_config(nginx, conf)
    assert result.returncode == 0, f"nginx -t rejected {NGINX_CONF}: {result.stderr}"


def test_every_backend_keeps_the_passive_health_parameters() -> None:
    site = render_site(["127.0.0.1:1", "127.0.0.1:2"], 9999)
    servers = re.findall(r"^[ \t]*server[ \t]+([^\s{;]+)[ \t]+([^;]*);", site, re.MULTILINE)
    assert [s[0] for s in servers] == ["127.0.0.1:1", "127.0.0.1:2"], f"upstream servers: {servers}"
    for _, params in servers:
        assert re.search(r"\bmax_fails=[1-9]", params) and "fail_timeout=" in params, (
            f"each peer needs max_fails/fail_timeout for passive health checks, got '{params}'"
        )
    assert "listen 127.0.0.1:9999;" in site, "the listen port was not substituted"


def test_policy_least_conn_keepalive_and_retries() -> None:
    text = NGINX_CONF.read_text()
    assert re.search(r"^\s*least_conn;", text, re.MULTILINE), "upstream must balance by least connections"
    assert int(_directive(text, "keepalive")[0]) > 0, "upstream keepalive must be on"
    assert _directive(text, "proxy_http_version") == ["1.1"], "upstream keepalive needs HTTP/1.1"
    assert _directive(text, "proxy_set_header Connection") == ['""'], "keepalive needs an empty Connection"
    retry_on = set(_directive(text, "proxy_next_upstream"))
    missing = {"error", "timeout", "http_502", "non_idempotent"} - retry_on
    assert not missing, f"proxy_next_upstream lacks {sorted(missing)} (POST /predict must be retried too)"
    assert "http_503" not in retry_on, "a retried 503 counts towards max_fails: overload would empty the pool"
    assert int(_directive(text, "proxy_next_upstream_tries")[0]) >= 2, "a failed attempt needs a retry"
    assert _directive(text, "listen") == ["8080"], "compose publishes nginx on 8080"


def test_grpc_is_proxied_call_by_call_over_h2c_with_the_same_cap_and_retries() -> None:
    text = NGINX_CONF.read_text()
    grpc = text[text.index("# ---- gRPC:") :]
    assert re.search(r"^\s*listen 8081 http2;", grpc, re.MULTILINE), "compose publishes gRPC on 8081, HTTP/2"
    assert _directive(grpc, "grpc_pass") == ["grpc://digits_grpc"]
    assert re.search(r"^\s*server replica:8001 max_fails=\d+ fail_timeout=", grpc, re.MULTILINE)
    assert _directive(grpc, "limit_conn") == _directive(text, "limit_conn"), "one cap for REST and gRPC"
    assert {"error", "timeout", "non_idempotent"} <= set(_directive(grpc, "grpc_next_upstream"))
    assert float(_directive(grpc, "grpc_read_timeout")[0].rstrip("s")) > 10, "> DIGITS_REQUEST_TIMEOUT_MS"
