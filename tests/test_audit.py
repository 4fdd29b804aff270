"""The audit log records what matters, holds no secrets, and its chain exposes tampering."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client

from boardroom import audit
from boardroom.models import AuditEvent
from meetings import services
from tests.auth import sign_in
from tests.conftest import BoardWorld
from tests.downloads import opened


def _actions() -> list[str]:
    return list(AuditEvent.objects.values_list("action", flat=True))


def test_the_world_leaves_an_intact_chain(world: BoardWorld) -> None:
    assert AuditEvent.objects.filter(action="membership.created").count() >= 8
    assert "paper.uploaded" in _actions() and "meeting.status" in _actions()
    assert audit.verify() is None
    call_command("audit_verify")


def test_sign_in_failures_are_recorded_without_the_password(world: BoardWorld) -> None:
    client = Client()
    client.post("/accounts/login/", {"username": "member", "password": "hunter2-secret"})
    client.post("/accounts/login/", {"username": "member", "password": "correct horse battery staple"})
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert failed.actor_label == "member" and failed.actor is None
    assert "hunter2" not in str(failed.detail) and "hunter2" not in failed.actor_label
    assert AuditEvent.objects.filter(action="auth.login", actor=world.member).exists()


def test_reading_a_paper_and_being_refused_are_recorded(world: BoardWorld) -> None:
    client = Client()
    sign_in(client, world.observer)
    assert opened(client.get(f"/papers/{world.public_paper.pk}/pdf"))
    assert client.get(f"/papers/{world.part_b_paper.pk}/pdf").status_code == 404
    viewed = AuditEvent.objects.get(action="paper.view")
    assert viewed.actor == world.observer and viewed.object_id == str(world.public_paper.pk)
    world.public_paper.refresh_from_db()
    assert viewed.detail["sha256"] == world.public_paper.current_version.sha256  # type: ignore[union-attr]
    denied = AuditEvent.objects.get(action="access.denied")
    assert denied.actor == world.observer and denied.detail["lookup"] == {"pk": str(world.part_b_paper.pk)}


def test_votes_record_who_voted_but_not_how(world: BoardWorld) -> None:
    services.meeting_advance(actor=world.chair, meeting=world.meeting, to="live")
    motion = services.motion_open(actor=world.chair, item=world.public_item, text="Approve", secret=True)
    services.vote_cast(actor=world.member, motion=motion, choice="Against")
    cast = AuditEvent.objects.get(action="vote.cast")
    assert cast.actor == world.member and "Against" not in str(cast.detail)


def test_entries_cannot_be_changed_or_deleted_through_the_orm(world: BoardWorld) -> None:
    entry = AuditEvent.objects.first()
    assert entry is not None
    entry.action = "nothing.happened"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


def test_an_edited_row_is_named_as_the_first_broken_link(world: BoardWorld) -> None:
    target = AuditEvent.objects.order_by("pk")[3]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE boardroom_auditevent SET actor_label = %s WHERE id = %s", ["mallory", target.pk])
    broken = audit.verify()
    assert broken is not None and broken.entry_id == target.pk and "edited" in broken.reason
    with pytest.raises(CommandError, match=f"entry {target.pk}"):
        call_command("audit_verify")


def test_a_removed_row_breaks_the_chain_after_it(world: BoardWorld) -> None:
    rows = list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM boardroom_auditevent WHERE id = %s", [rows[2]])
    broken = audit.verify()
    assert broken is not None and broken.entry_id == rows[3] and "removed" in broken.reason


def test_cutting_off_the_newest_rows_is_noticed(world: BoardWorld) -> None:
    last = AuditEvent.objects.order_by("-pk").first()
    assert last is not None
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM boardroom_auditevent WHERE id = %s", [last.pk])
    broken = audit.verify()
    assert broken is not None and broken.entry_id == 0


def test_the_admin_shows_the_log_read_only(world: BoardWorld) -> None:
    client = Client()
    sign_in(client, world.superuser)
    assert client.get("/admin/boardroom/auditevent/").status_code == 200
    entry = AuditEvent.objects.first()
    assert entry is not None
    assert client.post(f"/admin/boardroom/auditevent/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=entry.pk).exists()


def test_secretaries_filter_and_export_their_boards_log(world: BoardWorld) -> None:
    from tests.auth import sign_in

    secretary = sign_in(Client(), world.secretary)
    sign_in(Client(), world.observer).get(f"/papers/{world.public_paper.pk}/pdf")
    page = secretary.get(f"/boards/{world.board.pk}/audit/?action=paper.view").content.decode()
    assert "paper.view" in page and "membership.created" not in page
    export = secretary.get(f"/boards/{world.board.pk}/audit.csv?action=paper.view")
    rows = b"".join(export.streaming_content).decode().splitlines()  # type: ignore[attr-defined]
    assert rows[0].startswith("id,at (UTC),person,action") and len(rows) == 2 and "observer" in rows[1]
    assert AuditEvent.objects.filter(action="audit.exported", actor=world.secretary).exists()
    # Members may not read the log; other boards' people may not know it exists.
    assert sign_in(Client(), world.member).get(f"/boards/{world.board.pk}/audit/").status_code == 403
    assert sign_in(Client(), world.outsider).get(f"/boards/{world.board.pk}/audit.csv").status_code == 404
    other = Client().get(f"/boards/{world.other_board.pk}/audit/")
    assert other.status_code == 302


def _rewrite_with_plain_sha256(edit_pk: int) -> None:
    """What someone with write access to the database but without the key can do: edit a row,
    then recompute every later hash (and a keyless seal) and the stored head."""
    import hashlib

    from boardroom.models import AuditHead

    AuditEvent.objects.filter(pk=edit_pk).update(actor_label="mallory")
    previous = previous_mac = audit.GENESIS
    for entry in AuditEvent.objects.order_by("pk"):
        entry.prev_hash = previous
        entry.hash = audit.entry_hash(entry)
        entry.mac = hashlib.sha256(f"{previous_mac}:{entry.hash}".encode()).hexdigest()
        AuditEvent.objects.filter(pk=entry.pk).update(prev_hash=entry.prev_hash, hash=entry.hash, mac=entry.mac)
        previous, previous_mac = entry.hash, entry.mac
    AuditHead.objects.filter(pk=1).update(last_hash=previous, last_mac=previous_mac)


def test_a_fully_recomputed_chain_fails_verification(world: BoardWorld) -> None:
    target = AuditEvent.objects.order_by("pk")[2]
    _rewrite_with_plain_sha256(target.pk)
    # The plain hashes all hold again: only the keyed seal exposes the rewrite.
    rows = list(AuditEvent.objects.order_by("pk"))
    assert all(audit.entry_hash(row) == row.hash for row in rows)
    broken = audit.verify()
    assert broken is not None and broken.entry_id == rows[0].pk and "key" in broken.reason
    with pytest.raises(CommandError, match="seal"):
        call_command("audit_verify")


def test_the_seal_depends_on_a_key_outside_the_database(world: BoardWorld, settings: Any) -> None:
    assert audit.verify() is None
    settings.BOARDROOM_AUDIT_KEY = "a-different-installation"
    broken = audit.verify()
    assert broken is not None and broken.entry_id == AuditEvent.objects.order_by("pk")[0].pk


def test_entries_written_before_the_key_are_sealed_by_the_migration(world: BoardWorld) -> None:
    import importlib

    from django.apps import apps

    from boardroom.models import AuditHead

    AuditEvent.objects.update(mac="")
    AuditHead.objects.update(last_mac="")
    assert audit.verify() is not None  # an unsealed row is not accepted as it stands
    importlib.import_module("boardroom.migrations.0004_audit_seal").seal_existing(apps, None)
    assert audit.verify() is None
    audit.record("test.after", actor_label="tester")
    assert audit.verify() is None


def test_an_exported_head_catches_newest_entries_cut_off(world: BoardWorld, tmp_path: Any) -> None:
    from boardroom.models import AuditHead

    anchor = tmp_path / "head.json"
    out = io.StringIO()
    call_command("audit_anchor", out=str(anchor), stdout=out)
    stored = out.getvalue().strip().rsplit(" ", 1)[-1]
    assert stored.startswith("storage:audit/anchors/")
    exported = json.loads(anchor.read_text())
    assert exported["seq"] == AuditEvent.objects.order_by("-pk")[0].pk and exported["signature"]
    call_command("audit_verify", against=str(anchor), stdout=io.StringIO())
    call_command("audit_verify", against=stored, stdout=io.StringIO())
    # Later entries are fine: the anchor only says what must still be there.
    audit.record("test.later", actor_label="tester")
    call_command("audit_verify", against=str(anchor), stdout=io.StringIO())
    # Cut off the newest entries and move the head back: the chain alone cannot tell...
    rows = list(AuditEvent.objects.order_by("-pk")[:3])
    with connection.cursor() as cursor:
        for row in rows[:2]:
            cursor.execute("DELETE FROM boardroom_auditevent WHERE id = %s", [row.pk])
    AuditHead.objects.filter(pk=1).update(last_hash=rows[2].hash, last_mac=rows[2].mac)
    assert audit.verify() is None
    # ... the exported head can.
    with pytest.raises(CommandError, match="cut off"):
        call_command("audit_verify", against=str(anchor))


def test_a_forged_or_foreign_anchor_is_refused(world: BoardWorld, tmp_path: Any) -> None:
    anchor = tmp_path / "head.json"
    call_command("audit_anchor", out=str(anchor), stdout=io.StringIO())
    forged = json.loads(anchor.read_text())
    forged["seq"], forged["count"] = forged["seq"] - 1, forged["count"] - 1
    anchor.write_text(json.dumps(forged))
    with pytest.raises(CommandError, match="signature"):
        call_command("audit_verify", against=str(anchor))
    anchor.write_text("not json")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("audit_verify", against=str(anchor))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("audit_verify", against=str(tmp_path / "missing.json"))
