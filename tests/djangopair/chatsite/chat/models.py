from __future__ import annotations

from django.db import models


class Player(models.Model):
    username = models.CharField(max_length=150)
    display_name = models.CharField(max_length=150)
    is_online = models.BooleanField(default=False)


class Chatroom(models.Model):
    player = models.OneToOneField(Player, on_delete=models.CASCADE)
    name = models.CharField(max_length=100)


class Message(models.Model):
    chatroom = models.ForeignKey(Chatroom, on_delete=models.CASCADE, related_name="messages")
    sender = models.CharField(max_length=10)
    sender_id = models.IntegerField()
    sender_name = models.CharField(max_length=150)
    message = models.TextField()
    created_at = models.DateTimeField()
    is_read = models.BooleanField(default=False)


class Purchase(models.Model):
    chatroom = models.ForeignKey(Chatroom, on_delete=models.CASCADE, related_name="purchases")
    item = models.CharField(max_length=100)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20)
    html_content = models.TextField()
    created_at = models.DateTimeField()
