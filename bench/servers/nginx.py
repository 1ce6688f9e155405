"""Run the project's deploy/nginx.conf with a real nginx, as the current user, in a temp prefix.

deploy/nginx.conf is the http-context file that compose mounts into the nginx image. The deploy
tests and the benchmark's overload part point its one upstream ``server`` line at local backends
(keeping every parameter) and its ``listen`` at a free port, then wrap it in a minimal main config
whose pid, logs and temp paths all live under the prefix. Its gRPC part (the end of the file) is
rendered the same way when gRPC backends are given, and left out otherwise.
"""

from __future__ import annotations

import getpass
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from bench.servers.launch import stop, wait_ready

ROOT = Path(__file__).resolve().parents[2]
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
# Host:port, then the peer parameters (max_fails=..., fail_timeout=...) that every backend keeps.
_SERVER = re.compile(r"^([ \t]*)server[ \t]+replica:8000([ \t][^;]*)?;", re.MULTILINE)
_LISTEN = re.compile(r"^([ \t]*)listen[ \t]+8080;", re.MULTILINE)
_GRPC_PART = re.compile(r"^# ---- gRPC:.*", re.MULTILINE | re.DOTALL)
_GRPC_SERVER = re.compile(r"^([ \t]*)server[ \t]+replica:8001([ \t][^;]*)?;", re.MULTILINE)
_GRPC_LISTEN = re.compile(r"^([ \t]*)listen[ \t]+8081[ \t]+http2;", re.MULTILINE)
_INFLIGHT = re.compile(r"^([ \t]*limit_conn[ \t]+digits_inflight[ \t]+)\d+;", re.MULTILINE)
# Which backends answered each request: "127.0.0.1:1, 127.0.0.1:2" when nginx retried.
ACCESS_LOG_FORMAT = "$status $request_time [$upstream_addr] [$upstream_status]"

MAIN_CONF = """\
{user}worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}  # the overload opens up to 1,024; each proxied one needs 2
http {{
    log_format upstreams '{log_format}';
    access_log {prefix}/access.log upstreams;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/site.conf;
}}
"""


def nginx_binary() -> str | None:
    """The nginx executable (Debian puts it in /usr/sbin, off a normal user's PATH), if installed."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def render_site(
    backends: Sequence[str],
    port: int,
    max_inflight: int | None = None,
    grpc: tuple[Sequence[str], int] | None = None,
) -> str:
    """deploy/nginx.conf with one ``server`` line per ``host:port`` backend and ``listen`` on ``port``;
    ``max_inflight``, if given, replaces the cap on POSTs in flight. ``grpc`` = ``(backends, port)``
    keeps the gRPC part, pointed at those gRPC backends and listening on that port."""
    text = NGINX_CONF.read_text(encoding="utf-8")
    grpc_part = _GRPC_PART.search(text)
    assert grpc_part, f"{NGINX_CONF} should end with its '# ---- gRPC: ...' part"
    text = _substitute(text[: grpc_part.start()], _SERVER, backends, _LISTEN, f"listen 127.0.0.1:{port};")
    if max_inflight is not None:
        text, limits = _INFLIGHT.subn(rf"\g<1>{max_inflight};", text)
        assert limits == 1, f"{NGINX_CONF} should have one 'limit_conn digits_inflight N;' line"
    if grpc is not None:
        listen = f"listen 127.0.0.1:{grpc[1]} http2;"
        text += _substitute(grpc_part.group(0), _GRPC_SERVER, grpc[0], _GRPC_LISTEN, listen)
    return text


def _substitute(
    text: str, server: re.Pattern[str], backends: Sequence[str], listen: re.Pattern[str], listen_line: str
) -> str:
    """The one upstream ``server`` line as one line per backend (same parameters), the one ``listen``."""
    servers = server.findall(text)
    assert len(servers) == 1, f"{NGINX_CONF}: expected one '{server.pattern}' line, found {servers}"
    indent, params = servers[0]
    lines = "\n".join(f"{indent}server {backend}{params};" for backend in backends)
    text = server.sub(lambda _: lines, text)
    text, listens = listen.subn(rf"\1{listen_line}", text)
    assert listens == 1, f"{NGINX_CONF}: expected one '{listen.pattern}' line"
    return text


FLOOR_SITE = """\
server {{
    listen 127.0.0.1:{port};
    location = /lb/healthz {{ return 200 '{{"status":"ok"}}'; }}
    location / {{
        default_type application/json;
        add_header Retry-After 1 always;
        return 503 '{{"error":{{"code":"overloaded","message":"this nginx refuses every request; retry"}}}}';
    }}
}}
"""


def write_config(
    prefix: Path,
    backends: Sequence[str],
    port: int,
    max_inflight: int | None = None,
    grpc: tuple[Sequence[str], int] | None = None,
) -> Path:
    """Write site.conf and the main nginx.conf under ``prefix``; return the main config's path."""
    return _write(prefix, render_site(backends, port, max_inflight, grpc))


def write_floor_config(prefix: Path, port: int) -> Path:
    """An nginx that answers every POST with a 503 itself, in C, and nothing else: the quickest refusal
    this machine can give, to time a load generator against. Returns the main config's path."""
    return _write(prefix, FLOOR_SITE.format(port=port))


def _write(prefix: Path, site: str) -> Path:
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / "site.conf").write_text(site, encoding="utf-8")
    # A root master would hand its workers to `nobody`, who cannot enter a private temp dir.
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    main = prefix / "nginx.conf"
    main.write_text(
        MAIN_CONF.format(user=user, prefix=prefix, log_format=ACCESS_LOG_FORMAT), encoding="utf-8"
    )
    return main


def check_config(nginx: str, conf: Path) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` on ``conf``; the result carries nginx's own verdict in stderr."""
    cmd = [nginx, "-t", "-q", "-e", "stderr", "-p", str(conf.parent), "-c", str(conf)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)


@contextmanager
def running_nginx(nginx: str, conf: Path, port: int, timeout_s: float = 15.0) -> Iterator[str]:
    """Run nginx in the foreground (``daemon off``); yield its base URL once it answers."""
    cmd = [nginx, "-e", "stderr", "-p", str(conf.parent), "-c", str(conf), "-g", "daemon off;"]
    log = conf.parent / "stderr.log"
    with log.open("w") as stderr:
        proc = subprocess.Popen(cmd, stderr=stderr, start_new_session=True)  # stop() may kill its group
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc, timeout_s, log, path="/lb/healthz")
        yield url
    finally:
        stop(proc, grace_s=10)
