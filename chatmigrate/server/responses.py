"""The JSON error envelope every JSON answer of the reference server shares, in one place so that
the tiers cannot drift apart in shape by accident (only the switches may make them differ)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse


def error_body(message: str, detail: str) -> dict[str, Any]:
    return {"status": "error", "message": message, "detail": detail}


def error(status: int, message: str, detail: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(message, detail), status_code=status, headers=headers)
