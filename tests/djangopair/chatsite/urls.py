from __future__ import annotations

from django.contrib import admin
from django.urls import path
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from chatsite.chat import api, legacy

urlpatterns = [
    path("admin/chat/", legacy.chat),  # before the admin site, whose patterns would claim admin/<app_label>/
    path("admin/", admin.site.urls),
    path("api/v1/auth/token/", TokenObtainPairView.as_view()),
    path("api/v1/auth/token/refresh/", TokenRefreshView.as_view()),
    path("api/v1/admin/chat/", api.ChatView.as_view()),
]
