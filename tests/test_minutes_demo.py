"""The demo, tried as a new user would: the minutes of the last trustees' meeting already hold the
attendance, declarations and votes; the chair signs; the PDF is in the archive; a member finds a
decision by a word in it."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from meetings import demo
from meetings.models import Meeting, MeetingStatus
from minutes.models import Minutes, MinutesRender, MinutesStatus
from search import indexing
from tests.auth import authenticator, current_code, sign_in


@pytest.mark.django_db
def test_demo_minutes_from_secretary_to_member_search(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        demo.seed(papers="few")
    signed = Minutes.objects.get(meeting__title="Trustees' meeting 46")
    assert signed.status == MinutesStatus.SIGNED and MinutesRender.objects.filter(minutes=signed, full=True).exists()
    meeting = Meeting.objects.get(title="Trustees' meeting 47")
    secretary = sign_in(Client(), User.objects.get(username="david"))
    page = secretary.get(f"/meetings/{meeting.pk}/minutes/").content.decode()
    assert "Her partner is a director of the agent marketing 3 Mill Lane" in page
    assert "capital appeal" in page and "carried" in page and "Apologies" in page and "Priya Shah" in page
    chair = sign_in(Client(), User.objects.get(username="margaret"))
    assert "Sign as chair" in chair.get(f"/meetings/{meeting.pk}/minutes/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        code = current_code(authenticator(User.objects.get(username="margaret")))
        assert chair.post(f"/meetings/{meeting.pk}/minutes/sign/", {"code": code}).status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.MINUTED
    member = sign_in(Client(), User.objects.get(username="tom"))
    archive = member.get("/archive/").content.decode()
    assert f"/meetings/{meeting.pk}/minutes.pdf" in archive
    assert member.get(f"/meetings/{meeting.pk}/minutes.pdf").status_code == 200
    indexing.reindex_all()  # what the background task did after each save; idempotent
    results = member.get("/search/", {"q": "appeal"}).content.decode()
    assert "Decision" in results and "capital <mark>appeal</mark>" in results.lower()
    # Aisha declared an interest in the property item: its decision is not found for her.
    aisha = sign_in(Client(), User.objects.get(username="aisha"))
    assert "heads of terms" not in aisha.get("/search/", {"q": "heads terms"}).content.decode()
