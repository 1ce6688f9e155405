"""The draw-a-digit page: ``GET /`` and its static files under ``/static``, outside the OpenAPI schema.

The page is plain HTML, one script and one stylesheet (``service/static``), with no build step and
nothing loaded from elsewhere, so it works offline and under the strict CSP of :mod:`service.http.security`.
Every file is sent with ``Cache-Control: no-cache``: browsers revalidate (ETag) and see a new release.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
NO_CACHE = {"Cache-Control": "no-cache"}

router = APIRouter(include_in_schema=False)


class RevalidatedStaticFiles(StaticFiles):
    """Starlette's static files, each marked ``no-cache`` (still answered 304 when unchanged)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(NO_CACHE)
        return response


@router.get("/")
async def index() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=NO_CACHE)


router.mount("/static", RevalidatedStaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
