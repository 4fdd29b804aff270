"""Removing a paper puts it in the meeting's bin: gone for members at once (page, download, pack,
search, annotations), restorable by the secretary for thirty days, then deleted with its files."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from boardroom import policy
from documents import packs, services
from documents.models import Annotation, Paper, PaperVersion
from search import selectors as search
from tests.auth import sign_in
from tests.conftest import BoardWorld
from tests.pdfs import make_text_pdf

pytestmark = pytest.mark.django_db
# The file itself, or (with an object store) a redirect to a link that serves it.
SERVED = (200, 302)


@pytest.fixture
def paper(world: BoardWorld, django_capture_on_commit_callbacks: Any) -> Paper:
    with django_capture_on_commit_callbacks(execute=True):
        paper = services.paper_create(actor=world.secretary, item=world.public_item, title="Tenancy review")
        services.paper_version_add(
            actor=world.secretary, paper=paper, data=make_text_pdf([["Heron Street tenancy review"], ["p2"]])
        )
    paper.refresh_from_db()
    return paper


def _remove(world: BoardWorld, paper: Paper, capture: Any) -> None:
    with capture(execute=True):
        response = sign_in(Client(), world.secretary).post(f"/meetings/{world.meeting.pk}/papers/{paper.pk}/delete/")
    assert response.status_code == 302


def test_a_removed_paper_is_gone_for_members_at_once(
    world: BoardWorld, paper: Paper, django_capture_on_commit_callbacks: Any
) -> None:
    assert paper.current_version is not None
    note = Annotation.objects.create(
        paper=paper,
        version=paper.current_version,
        author=world.member,
        kind="note",
        page=1,
        body="Ask about rent",
        client_id=uuid.uuid4(),
    )
    member = sign_in(Client(), world.member)
    assert member.get(f"/papers/{paper.pk}/pdf").status_code in SERVED
    assert [r.entry.paper_id for r in search.search(world.member, "heron")] == [paper.pk]

    _remove(world, paper, django_capture_on_commit_callbacks)
    _remove(world, paper, django_capture_on_commit_callbacks)  # a second tap changes nothing
    paper = Paper.with_bin.get(pk=paper.pk)
    assert paper.removed_at is not None and paper.removed_by == world.secretary
    assert member.get(f"/papers/{paper.pk}/pdf").status_code == 404
    assert member.get(f"/papers/{paper.pk}/read").status_code == 404
    assert "Tenancy review" not in member.get(f"/meetings/{world.meeting.pk}/").content.decode()
    assert search.search(world.member, "heron") == []
    assert member.get(f"/papers/{paper.pk}/annotations/").status_code == 404
    assert not policy.visible(world.member, Annotation.objects.all()).filter(pk=note.pk).exists()
    assert not policy.visible(world.secretary, PaperVersion.objects.filter(paper=paper)).exists()
    # The pack is rebuilt without it.
    pack = packs.pack_build(world.meeting.pk)
    assert pack is not None
    assert paper.pk not in [p["id"] for item in pack.manifest["items"] for p in item["papers"]]
    # The secretary's builder no longer lists it, and offers the bin.
    secretary = sign_in(Client(), world.secretary)
    builder = secretary.get(f"/meetings/{world.meeting.pk}/agenda/").content.decode()
    assert "Removed papers (1)" in builder


def test_the_secretary_puts_a_paper_back_and_members_see_it_again(
    world: BoardWorld, paper: Paper, django_capture_on_commit_callbacks: Any
) -> None:
    _remove(world, paper, django_capture_on_commit_callbacks)
    secretary = sign_in(Client(), world.secretary)
    page = secretary.get(f"/meetings/{world.meeting.pk}/bin/")
    assert page.status_code == 200 and "Tenancy review" in page.content.decode()
    # Members and observers may not use the bin (403: they see the meeting); others do not find it.
    for user, status in ((world.member, 403), (world.observer, 403), (world.outsider, 404)):
        client = sign_in(Client(), user)
        assert client.get(f"/meetings/{world.meeting.pk}/bin/").status_code == status, user.username
        assert client.post(f"/meetings/{world.meeting.pk}/bin/{paper.pk}/restore/").status_code == status
    assert Paper.with_bin.get(pk=paper.pk).removed_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        response = secretary.post(f"/meetings/{world.meeting.pk}/bin/{paper.pk}/restore/")
    assert response.status_code == 302
    paper = Paper.objects.get(pk=paper.pk)
    last = max(Paper.objects.filter(item=paper.item).values_list("position", flat=True))
    assert paper.removed_at is None and paper.position == last
    assert [r.entry.paper_id for r in search.search(world.member, "heron")] == [paper.pk]
    assert sign_in(Client(), world.member).get(f"/papers/{paper.pk}/pdf").status_code in SERVED
    # Restoring what is not in the bin: 404, nothing changes.
    assert secretary.post(f"/meetings/{world.meeting.pk}/bin/{paper.pk}/restore/").status_code == 404


def test_delete_now_and_the_thirty_day_purge_delete_the_files(
    world: BoardWorld, paper: Paper, django_capture_on_commit_callbacks: Any
) -> None:
    assert paper.current_version is not None
    keys = paper.current_version.stored_keys()
    assert keys and all(default_storage.exists(k) for k in keys)
    other = services.paper_create(actor=world.secretary, item=world.public_item, title="Old minutes")
    _remove(world, paper, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.paper_remove(actor=world.secretary, paper=other)
    # Day 29: still in the bin; day 31: gone, with its stored files.
    assert services.purge_bin(now=timezone.now() + dt.timedelta(days=29)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.purge_bin(now=timezone.now() + dt.timedelta(days=31)) == 2
    assert not Paper.with_bin.filter(pk__in=[paper.pk, other.pk]).exists()
    assert not any(default_storage.exists(k) for k in keys)


def test_delete_now_from_the_bin(world: BoardWorld, paper: Paper, django_capture_on_commit_callbacks: Any) -> None:
    _remove(world, paper, django_capture_on_commit_callbacks)
    secretary = sign_in(Client(), world.secretary)
    with django_capture_on_commit_callbacks(execute=True):
        response = secretary.post(f"/meetings/{world.meeting.pk}/bin/{paper.pk}/delete/")
    assert response.status_code == 302
    assert not Paper.with_bin.filter(pk=paper.pk).exists()
    assert "The bin is empty" in secretary.get(f"/meetings/{world.meeting.pk}/bin/").content.decode()


def test_only_those_who_manage_the_meeting_remove_papers(world: BoardWorld, paper: Paper) -> None:
    with pytest.raises(PermissionDenied):
        services.paper_remove(actor=world.member, paper=paper)
    with pytest.raises(PermissionDenied):
        services.paper_restore(actor=world.member, paper=paper)
    assert Paper.objects.filter(pk=paper.pk).exists()
