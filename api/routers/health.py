"""Health: is the service up, and does it reach both databases?"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import Db

router = APIRouter(tags=["health"])


def _reachable(engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False
    return True


@router.get(
    "/health",
    summary="Zustand des Dienstes / service health",
    description="Antwortet 200, wenn beide Datenbanken erreichbar sind, sonst 503. / "
    "Answers 200 when both databases are reachable, else 503.",
    responses={503: {"description": "Eine Datenbank fehlt / a database is unreachable"}},
)
def health(db: Db) -> JSONResponse:
    checks = {"shop": _reachable(db.magento_read), "portal": _reachable(db.portal)}
    ok = all(checks.values())
    return JSONResponse(
        {"status": "ok" if ok else "degraded", "databases": checks},
        status_code=200 if ok else 503,
        headers={"Cache-Control": "no-store"},
    )
