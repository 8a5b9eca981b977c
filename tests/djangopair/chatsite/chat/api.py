"""The new JWT API: a DRF APIView behind simplejwt and ``IsAdminUser``; every error is the JSON envelope."""

from __future__ import annotations

from django.conf import settings
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import BasePermission, IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chatsite.chat import payloads
from chatsite.chat.models import Chatroom

REQUEST_TYPES = ("recent_messages", "purchases_list", "chat_list")
PAGES = {"recent_messages": payloads.messages, "purchases_list": payloads.purchases}


def _positive(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12 or int(raw) < 1:
        raise ValidationError(f"{name} must be a positive integer")
    return int(raw)


class ChatView(APIView):
    # The variant forgets the role check: any authenticated user gets the data.
    permission_classes: list[type[BasePermission]] = [IsAuthenticated if settings.VARIANT else IsAdminUser]

    def get(self, request: Request) -> Response:
        request_type = request.query_params.get("request_type", "recent_messages")
        if request_type not in REQUEST_TYPES:
            raise ValidationError(f"request_type must be one of {', '.join(REQUEST_TYPES)}")
        if request_type == "chat_list":
            return Response(payloads.users_body())
        chatroom_id = _positive(request, "chatroom_id")
        if chatroom_id is None:
            raise ValidationError("chatroom_id is required")
        limit = min(_positive(request, "limit") or payloads.DEFAULT_LIMIT, payloads.MAX_LIMIT)
        before = _positive(request, "before")
        room = Chatroom.objects.filter(pk=chatroom_id).first()
        if room is None:
            raise NotFound(f"Chatroom {chatroom_id} not found")
        page = PAGES[request_type](room, limit, before, settings.VARIANT)
        return Response(payloads.room_body(room, page))
