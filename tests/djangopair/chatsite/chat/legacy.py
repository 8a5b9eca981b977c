"""The legacy view as such views are written: behind the admin login, sloppy about its parameters.

Bad parameters end in Django's own pages: ``BadRequest`` gives the HTML 400, ``get_object_or_404`` the HTML 404,
and a negative or non-numeric ``limit``/``before`` crashes into the HTML 500 (the JWT API answers those with a
clean 400)."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import BadRequest
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404

from chatsite.chat import payloads
from chatsite.chat.models import Chatroom

PAGES = {"recent_messages": payloads.messages, "purchases_list": payloads.purchases}


@staff_member_required
def chat(request: HttpRequest) -> JsonResponse:
    request_type = request.GET.get("request_type", "recent_messages")
    if request_type == "chat_list":
        return JsonResponse(payloads.users_body())
    if request_type not in PAGES:
        raise BadRequest("unknown request_type")
    chatroom_id = request.GET.get("chatroom_id", "")
    if not chatroom_id.isdigit():
        raise BadRequest("chatroom_id must be an integer")
    room = get_object_or_404(Chatroom, pk=int(chatroom_id))
    limit = int(request.GET.get("limit", payloads.DEFAULT_LIMIT))
    if limit == 0:
        raise BadRequest("limit must be positive")
    before = request.GET.get("before")
    page = PAGES[request_type](room, min(limit, payloads.MAX_LIMIT), int(before) if before else None, False)
    return JsonResponse(payloads.room_body(room, page))
