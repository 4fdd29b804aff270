"""The meeting page as first rendered, before its socket: comment threads with their marks, the
chair's pickers, and where a recused member's items were (meetings/views.py)."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.test import Client

from documents import services as document_services
from meetings import services
from tests.auth import sign_in
from tests.conftest import BoardWorld

pytestmark = pytest.mark.django_db


def _config(html: str) -> dict[str, object]:
    found = re.search(r'<script id="live-config" type="application/json">(.*?)</script>', html, re.S)
    assert found is not None
    return dict(json.loads(found.group(1)))


def test_threads_after_a_reload_keep_edited_marks_and_withdrawn_parents(world: BoardWorld) -> None:
    item = world.public_item
    first = document_services.comment_create(
        actor=world.member, item=item, body="Is the rent review due?", client_id=uuid.uuid4()
    )
    reply = document_services.comment_create(
        actor=world.chair, item=item, body="In March.", client_id=uuid.uuid4(), parent=first
    )
    document_services.comment_edit(actor=world.chair, comment=reply, body="In March, with the valuation.")
    lone = document_services.comment_create(actor=world.member, item=item, body="Typo", client_id=uuid.uuid4())
    document_services.comment_delete(actor=world.member, comment=first)
    document_services.comment_delete(actor=world.member, comment=lone)

    html = sign_in(Client(), world.observer).get(f"/meetings/{world.meeting.pk}/").content.decode()
    section = html[html.index(f'id="item-{item.pk}"') :]
    section = section[: section.index("</details>")]
    # The withdrawn question stays as a placeholder above its reply; the lone withdrawn one is gone.
    assert "Comment withdrawn" in section and "Is the rent review due?" not in section and "Typo" not in section
    assert "In March, with the valuation." in section and "(edited)" in section
    assert section.index("Comment withdrawn") < section.index("In March, with the valuation.")
    assert re.search(r"Comments \(<span data-comment-count>1</span>\)", section)


def test_the_chair_gets_the_people_and_a_recused_member_where_their_item_was(world: BoardWorld) -> None:
    chair = _config(sign_in(Client(), world.chair).get(f"/meetings/{world.meeting.pk}/").content.decode())
    people = {p["name"] for p in chair["people"]}  # type: ignore[attr-defined]
    assert (world.member.get_full_name() or world.member.username) in people
    member_page = sign_in(Client(), world.member).get(f"/meetings/{world.meeting.pk}/").content.decode()
    assert _config(member_page)["people"] == [] and _config(member_page)["recusedItems"] == []

    services.declaration_record(actor=world.member, item=world.public_item, user=world.member, nature="Tenant")
    recused = _config(sign_in(Client(), world.member).get(f"/meetings/{world.meeting.pk}/").content.decode())
    places = recused["recusedItems"]
    assert [(p["id"], p["number"]) for p in places] == [(world.public_item.pk, world.public_item.number)]  # type: ignore[attr-defined]
