"""Security headers on every HTTP response: a strict Content-Security-Policy and its companions.

:class:`SecurityHeaders` builds the header lists once; the gateway (:mod:`service.http.gateway`) adds one of
them to every response, so the hot ``/predict`` path pays one list concatenation. The draw-a-digit page
and every API response get the strict policy below (no inline script or style, same-origin only).
FastAPI's ``/docs`` (Swagger UI) and ``/redoc`` load their bundles from cdn.jsdelivr.net and start with an
inline script, so those two pages get a separate, relaxed policy that admits exactly that and keeps the
rest (no framing, no plugins, no ``<base>``, API calls to this origin only). Exempting them altogether
would drop the anti-framing and plugin rules too.
"""

from __future__ import annotations

from collections.abc import Iterable

_LOCKED = "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    f"connect-src 'self'; {_LOCKED}"
)
DOCS_CDN = "https://cdn.jsdelivr.net"
DOCS_CSP = (
    f"default-src 'self'; script-src 'self' 'unsafe-inline' {DOCS_CDN}; "
    f"style-src 'self' 'unsafe-inline' {DOCS_CDN} https://fonts.googleapis.com; "
    "font-src 'self' https://fonts.gstatic.com; img-src 'self' data: blob: https://fastapi.tiangolo.com; "
    f"worker-src 'self' blob:; connect-src 'self'; {_LOCKED}"
)
COMMON = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "cross-origin-opener-policy": "same-origin",
}


def _headers(csp: str) -> list[tuple[bytes, bytes]]:
    pairs = {**COMMON, "content-security-policy": csp}
    return [(name.encode(), value.encode()) for name, value in pairs.items()]


class SecurityHeaders:
    """The security headers for a path: the relaxed CSP only under ``docs_paths``."""

    def __init__(self, docs_paths: Iterable[str | None] = ("/docs", "/redoc")) -> None:
        paths = [p for p in docs_paths if p]
        self.docs_exact, self.docs_prefixes = frozenset(paths), tuple(p + "/" for p in paths)
        self.strict, self.docs = _headers(STRICT_CSP), _headers(DOCS_CSP)

    def for_path(self, path: str) -> list[tuple[bytes, bytes]]:
        """``path`` relative to the app's root path."""
        is_docs = path in self.docs_exact or path.startswith(self.docs_prefixes)
        return self.docs if is_docs else self.strict
