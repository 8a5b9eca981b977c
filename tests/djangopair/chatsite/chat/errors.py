"""The envelope exception handler: DRF's errors as ``{status: "error", message, detail}``.

The variant answers a failed authentication with an HTML page instead, as a misconfigured deployment might."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

MESSAGES = {
    status.HTTP_400_BAD_REQUEST: "Invalid request",
    status.HTTP_401_UNAUTHORIZED: "Authentication failed",
    status.HTTP_403_FORBIDDEN: "Permission denied",
    status.HTTP_404_NOT_FOUND: "Not found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "Method not allowed",
}
UNAUTHORIZED_PAGE = (
    "<!DOCTYPE html><html><head><title>401 Unauthorized</title></head><body><h1>Unauthorized</h1></body></html>"
)


def envelope_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | HttpResponse | None:
    response = exception_handler(exc, context)
    if response is None:
        return None
    if settings.VARIANT and response.status_code == status.HTTP_401_UNAUTHORIZED:
        return HttpResponse(UNAUTHORIZED_PAGE, status=401, content_type="text/html; charset=utf-8")
    response.data = {
        "status": "error",
        "message": MESSAGES.get(response.status_code, "Request failed"),
        "detail": _text(response.data),
    }
    return response


def _text(data: Any) -> str:
    """One readable line from DRF's detail, which may be a string, a list or simplejwt's nested dict."""
    if isinstance(data, dict):
        return str(data.get("detail") or "; ".join(_text(value) for value in data.values()))
    if isinstance(data, list):
        return "; ".join(_text(item) for item in data)
    return str(data)
