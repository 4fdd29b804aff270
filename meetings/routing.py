"""Websocket routes. The live meeting socket joins here."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
