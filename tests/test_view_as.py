"""The secretary's "see what they see": the meeting page rendered through the policy as one
person, read-only and audited; for a draft, as it will be once published."""

from __future__ import annotations

import html

from django.test import Client

from boardroom.audit import AuditEvent
from tests.auth import sign_in
from tests.conftest import BoardWorld


def _as(client: Client, world: BoardWorld, meeting_pk: int, person_pk: int) -> str:
    response = client.get(f"/meetings/{meeting_pk}/as/{person_pk}/")
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_the_preview_is_the_persons_page_not_the_secretarys(world: BoardWorld) -> None:
    secretary = sign_in(Client(), world.secretary)
    observer = _as(secretary, world, world.meeting.pk, world.observer.pk)
    assert world.public_item.title in observer and world.part_b_item.title not in observer
    assert world.part_b_paper.title not in observer and "Agenda builder" not in observer
    assert "inert" in observer and 'id="live-config"' not in observer  # read-only: no socket, no forms in use
    recused = _as(secretary, world, world.meeting.pk, world.recused.pk)
    assert world.public_paper.title not in recused and world.part_b_item.title in recused
    member = _as(secretary, world, world.meeting.pk, world.member.pk)
    assert world.part_b_paper.title in member
    assert AuditEvent.objects.filter(action="meeting.viewed_as").count() == 3


def test_a_drafts_preview_shows_the_page_as_it_will_be_once_published(world: BoardWorld) -> None:
    from meetings.models import AgendaItem

    AgendaItem.objects.create(meeting=world.draft, title="Chief executive's report", number="1", sort_key="0001")
    AgendaItem.objects.create(
        meeting=world.draft, title="Redundancy proposals", number="2", sort_key="0002", confidential=True
    )
    page = _as(sign_in(Client(), world.secretary), world, world.draft.pk, world.observer.pk)
    assert "Chief executive's report" in page and "Redundancy proposals" not in page
    assert "once the meeting is published" in page


def test_only_managers_may_look_and_only_at_people_of_the_board(world: BoardWorld) -> None:
    url = f"/meetings/{world.meeting.pk}/as/{world.observer.pk}/"
    assert sign_in(Client(), world.member).get(url).status_code == 403
    assert sign_in(Client(), world.outsider).get(url).status_code == 404
    secretary = sign_in(Client(), world.secretary)
    assert secretary.get(f"/meetings/{world.meeting.pk}/as/{world.outsider.pk}/").status_code == 404
    chosen = secretary.get(f"/meetings/{world.meeting.pk}/as/?person={world.observer.pk}")
    assert chosen.status_code == 302 and chosen["Location"] == url
