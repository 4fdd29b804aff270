"""The pack and agenda downloads and the builder's pack panel, for every kind of person."""

from __future__ import annotations

import io
from urllib.parse import unquote

import pikepdf
import pypdfium2 as pdfium
import pytest
from django.test import Client

from boardroom.models import AuditEvent
from documents import packs
from documents.models import BoardPack, PackStatus
from meetings.models import MeetingStatus
from tests.auth import sign_in
from tests.conftest import BoardWorld
from tests.downloads import opened, pdf_bytes


def _text(data: bytes) -> str:
    doc = pdfium.PdfDocument(data)
    return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))


@pytest.mark.django_db
def test_who_gets_which_pack(world: BoardWorld) -> None:
    """Seated readers get their own cut; the rest a 404, the signed-out a sign-in page."""
    url = f"/meetings/{world.meeting.pk}/pack.pdf"
    expect = {
        "chair": True,
        "secretary": True,
        "member": True,
        "recused": True,
        "observer": True,
        "former": False,
        "future": False,
        "outsider": False,
        "superuser": False,
    }
    for name, allowed in expect.items():
        response = sign_in(Client(), getattr(world, name)).get(url)
        if not allowed:
            assert response.status_code == 404, name
            continue
        assert opened(response), name
        assert response["Cache-Control"] == "private, no-store"
        text = _text(pdf_bytes(response))
        assert ("Pay review" in text) == (name != "observer"), name
        assert ("Accounts" in text) == (name != "recused"), name
    assert Client().get(url).status_code == 302
    assert AuditEvent.objects.filter(action="pack.view").count() == 5


@pytest.mark.django_db
def test_a_draft_meetings_pack_is_only_for_those_who_prepare_it(world: BoardWorld) -> None:
    url = f"/meetings/{world.draft.pk}/pack.pdf"
    assert sign_in(Client(), world.member).get(url).status_code == 404
    assert opened(sign_in(Client(), world.secretary).get(url))
    assert world.draft.status == MeetingStatus.DRAFT


@pytest.mark.django_db
def test_while_the_first_pack_compiles_readers_are_asked_to_come_back(world: BoardWorld) -> None:
    BoardPack.objects.create(meeting=world.meeting, revision=1, inputs="x", status=PackStatus.BUILDING)
    with packs.build_lock(world.meeting.pk):  # held by the build compiling it
        response = sign_in(Client(), world.member).get(f"/meetings/{world.meeting.pk}/pack.pdf")
    assert response.status_code == 503 and response["Retry-After"]
    assert b"being compiled" in response.content


@pytest.mark.django_db
def test_the_download_link_names_the_file_and_offers_an_attachment(world: BoardWorld) -> None:
    response = sign_in(Client(), world.member).get(f"/meetings/{world.meeting.pk}/pack.pdf?download=1")
    assert opened(response)
    disposition = response["Content-Disposition"] if response.status_code == 200 else unquote(response["Location"])
    assert "attachment;" in disposition and "board pack r1.pdf" in disposition
    with pikepdf.open(io.BytesIO(pdf_bytes(response))) as pdf:
        assert pdf.is_linearized


@pytest.mark.django_db
def test_the_agenda_pdf_follows_the_policy(world: BoardWorld) -> None:
    url = f"/meetings/{world.meeting.pk}/agenda.pdf"
    observer = sign_in(Client(), world.observer).get(url)
    assert observer.status_code == 200 and observer["Content-Type"] == "application/pdf"
    assert "Chief executive" not in _text(observer.content) and "Finance report" in _text(observer.content)
    assert "Chief executive" in _text(sign_in(Client(), world.member).get(url).content)
    assert sign_in(Client(), world.outsider).get(url).status_code == 404
    assert sign_in(Client(), world.member).get(f"/meetings/{world.draft.pk}/agenda.pdf").status_code == 404


@pytest.mark.django_db
def test_the_pack_panel_and_compile_button_are_for_managers(world: BoardWorld) -> None:
    m = world.meeting.pk
    member, outsider = sign_in(Client(), world.member), sign_in(Client(), world.outsider)
    for client, code in ((member, 403), (outsider, 404)):
        assert client.get(f"/meetings/{m}/pack/status/").status_code == code
        assert client.post(f"/meetings/{m}/pack/compile/").status_code == code
    assert not BoardPack.objects.exists()
    secretary = sign_in(Client(), world.secretary)
    assert secretary.get(f"/meetings/{m}/pack/compile/").status_code == 405
    response = secretary.post(f"/meetings/{m}/pack/compile/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and b"Revision 1" in response.content
    assert BoardPack.objects.get().status == PackStatus.READY
    # Asking again for an unchanged meeting compiles nothing new.
    secretary.post(f"/meetings/{m}/pack/compile/")
    assert BoardPack.objects.count() == 1
    builder = secretary.get(f"/meetings/{m}/agenda/")
    assert b"Board pack" in builder.content and b"Open the pack" in builder.content


@pytest.mark.django_db
def test_the_meeting_page_shows_where_each_paper_is_in_the_readers_pack(world: BoardWorld) -> None:
    pack = packs.pack_build(world.meeting.pk)
    assert pack is not None
    member = sign_in(Client(), world.member)
    page = member.get(f"/meetings/{world.meeting.pk}/").content.decode()
    assert "pack pages 1–2" in page  # the accounts, first paper of the pack
    assert "pack pages 3" in page
    observer = sign_in(Client(), world.observer).get(f"/meetings/{world.meeting.pk}/").content.decode()
    assert "pack pages 1–2" in observer and "Board pack" in observer
