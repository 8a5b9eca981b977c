"""Contracts and bodies shared by the contract tests: the seed's shapes, and small OpenAPI documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from schemathesis.core.result import Ok
from schemathesis.specs.openapi.schemas import OpenApiSchema

from chatmigrate.contracts import (
    contracts_dir,
    load_contract,
)

SCHEMA_FILES = sorted(path.name for path in (contracts_dir() / "schemas").glob("*.json"))
DOCUMENTS = ["openapi-legacy.json", "openapi-jwt.json", "openapi-proxy.json"]
REQUEST_TYPES = ["recent_messages", "purchases_list", "chat_list"]
PROXY_ROUTES = {
    "recent_messages": "/api/chat-messages",
    "purchases_list": "/api/chat-purchases",
    "chat_list": "/api/chat-users",
}
STORED_MESSAGE = {
    "id": 7,
    "chatroom_id": 1,
    "sender": "player",
    "sender_id": 1001,
    "sender_name": "Player 1001",
    "message": "hi",
    "timestamp": "2026-01-05T10:00:00Z",
    "is_read": True,
}
RECENT = {
    "status": "success",
    "request_type": "recent_messages",
    "chatroom_id": 1,
    "messages": [STORED_MESSAGE, {**STORED_MESSAGE, "id": 6}],
    "count": 2,
    "has_more": False,
    "generated_at": "2026-11-26T23:00:00.123456Z",
    "request_id": "5f0c",
}


def operation_labels(schema: OpenApiSchema) -> list[str]:
    """Every operation as schemathesis sees it; an operation it cannot load fails here with its reason."""
    labels = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        labels.append(result.ok().label)
    return labels


def documented_operations(name: str) -> list[str]:
    return [f"{method.upper()} {path}" for path, item in load_contract(name)["paths"].items() for method in item]


def chat_query(request_type: str) -> dict[str, Any]:
    return {"request_type": request_type, "chatroom_id": 1, "limit": 5}


USER_DOCUMENT = """\
openapi: 3.1.0
info: {title: shop, version: "1"}
paths:
  /shops/{shop_id}/items/:
    get:
      responses:
        "200":
          description: items
          content:
            application/json:
              schema: {type: array, items: {$ref: "item.json"}}
        4XX:
          description: any client error
          content:
            application/problem+json:
              schema: {$ref: "#/components/schemas/Problem"}
  /shapes/:
    get:
      responses:
        "200":
          description: a circle or a square, told apart by nothing but their keys
          content:
            application/json:
              schema:
                oneOf:
                  - {type: object, required: [radius], properties: {radius: {type: number}}}
                  - {type: object, required: [side, colour], properties: {side: {type: number}, colour: {type: string}}}
components:
  schemas:
    Problem: {type: object, required: [title]}
"""


def openapi(paths: Any, components: dict[str, Any] | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": paths}
    if components is not None:
        document["components"] = components
    return document


def answering(schema: Any) -> dict[str, Any]:
    """``GET /x`` answering 200 with ``schema``."""
    content = {"application/json": {"schema": schema}}
    return {"/x": {"get": {"responses": {"200": {"description": "d", "content": content}}}}}


def written(folder: Path, document: dict[str, Any], name: str = "api.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(document))
    return path
