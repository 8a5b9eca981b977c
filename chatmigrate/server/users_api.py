"""User administration on the JWT tier: what a DRF viewset over ``User`` with an admin-only permission
offers, reduced to the one field the lifecycle needs: ``is_active``, to deactivate and reactivate a user."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatmigrate.server.context import context_of
from chatmigrate.server.jwt_api import auth_error, bearer_principal
from chatmigrate.server.payloads import json_object
from chatmigrate.server.responses import error
from chatmigrate.server.tokens import AuthFailure

ADMIN_ROLE = "admin"


async def update_user(request: Request) -> Response:
    ctx = context_of(request)
    try:
        principal = bearer_principal(request, ctx)
        if principal.user.role != ADMIN_ROLE:
            raise AuthFailure(f"Role '{principal.user.role}' may not change users", status=403)
    except AuthFailure as failure:
        return auth_error(ctx, failure)
    body = json_object(await request.body())
    if body is None or set(body) != {"is_active"} or not isinstance(body["is_active"], bool):
        return error(400, "Invalid request", "JSON body with only a boolean 'is_active' required")
    user_id: int = request.path_params["user_id"]
    user = ctx.store.set_active(user_id, body["is_active"]) if 0 < user_id < 2**62 else None
    if user is None:
        return error(404, "Not found", f"User {user_id} not found")
    return JSONResponse({"id": user.id, "username": user.username, "is_active": user.is_active})


routes = [Route("/api/v1/admin/users/{user_id:int}/", update_user, methods=["PATCH"])]
