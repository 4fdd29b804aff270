"""agenda.pdf is rendered once per state of the agenda and reader's items, then read from storage."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.storage import default_storage

from documents import packs
from meetings import services
from tests.conftest import BoardWorld
from tests.test_packs import page_texts


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    made: list[str] = []
    real = packs.render_pdf

    def counting(template: str, context: dict[str, Any]) -> tuple[bytes, dict[str, int]]:
        made.append(template)
        return real(template, context)

    monkeypatch.setattr(packs, "render_pdf", counting)
    return made


def stored(world: BoardWorld) -> list[str]:
    folder = f"{packs.AGENDA_FOLDER}/{world.meeting.pk}"
    # An object store has no folders to test for: list the prefix (a missing folder on disk raises).
    try:
        return sorted(default_storage.listdir(folder)[1])
    except FileNotFoundError:
        return []


def test_the_agenda_is_rendered_once_per_state_and_reader_cut(world: BoardWorld, renders: list[str]) -> None:
    first = packs.agenda_pdf(world.member, world.meeting)
    again = packs.agenda_pdf(world.member, world.meeting)
    assert again == first and len(renders) == 1

    observer = packs.agenda_pdf(world.observer, world.meeting)  # sees no Part B: a file of its own
    assert len(renders) == 2 and observer != first
    assert "Pay review" not in "\n".join(page_texts(observer))
    assert len(stored(world)) == 2


def test_a_changed_agenda_is_rendered_again_and_the_old_files_go(world: BoardWorld, renders: list[str]) -> None:
    packs.agenda_pdf(world.member, world.meeting)
    packs.agenda_pdf(world.observer, world.meeting)
    before = stored(world)

    services.agenda_item_update(actor=world.secretary, item=world.public_item, title="Finance report (audited)")
    changed = packs.agenda_pdf(world.member, world.meeting)

    assert len(renders) == 3
    assert "Finance report (audited)" in "\n".join(page_texts(changed))
    after = stored(world)
    assert len(after) == 1 and not set(after) & set(before)
