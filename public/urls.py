"""The public site, under /public/: stable, human addresses that work without signing in."""

from django.urls import path

from . import feeds, views

app_name = "public"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:board_slug>/", views.board_home, name="board"),
    path("<slug:board_slug>/feed.rss", views.public_page(feeds.BoardFeed()), name="rss"),
    path("<slug:board_slug>/feed.atom", views.public_page(feeds.BoardAtomFeed()), name="atom"),
    path("<slug:board_slug>/meetings.ics", views.board_ics, name="ics"),
    path("<slug:board_slug>/decisions/", views.decisions, name="decisions"),
    path("<slug:board_slug>/decisions/<int:pk>/", views.decision_detail, name="decision"),
    path("<slug:board_slug>/meetings/<int:pk>/", views.meeting_redirect, name="meeting_short"),
    path("<slug:board_slug>/meetings/<int:pk>/<slug:slug>/", views.meeting_detail, name="meeting"),
    path("<slug:board_slug>/meetings/<int:pk>.ics", views.meeting_ics, name="meeting_ics"),
    path("<slug:board_slug>/meetings/<int:pk>/items/<int:item_pk>/ask/", views.ask, name="ask"),
    path("<slug:board_slug>/meetings/<int:pk>/items/<int:item_pk>/sent/", views.asked, name="asked"),
    path("<slug:board_slug>/papers/<int:pk>/<slug:slug>.pdf", views.paper_download, name="paper"),
]
