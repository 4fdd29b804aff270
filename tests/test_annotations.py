"""Annotations over the reader's API: private stays private, shared follows the policy, saves are
idempotent, and a new version of the paper carries them to the same words."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from django.test import Client

from documents import annotating
from documents import services as document_services
from documents.models import Annotation, Paper
from meetings.models import MeetingEvent
from tests.auth import sign_in
from tests.conftest import BoardWorld
from tests.pdfs import make_text_pdf

pytestmark = pytest.mark.django_db

FILLER = [f"Paragraph {n} of the finance report sets out the figures for the quarter." for n in range(1, 9)]
TARGET = "The reserves policy target is three months of operating spending."


def report(insert_above: int = 0) -> bytes:
    """Eight pages; page 5 holds the target sentence between other lines. ``insert_above`` adds
    whole pages of new text before it (a paragraph inserted above the highlight)."""
    pages = [[f"Page {n} heading", *FILLER] for n in range(1, 9)]
    pages[4] = ["Reserves", "The board reviewed its reserves in October.", TARGET, "It will review them again."]
    for extra in range(insert_above):
        pages.insert(2, [f"New section {extra + 1}", "A paragraph inserted by the finance team."])
    return make_text_pdf(pages)


@pytest.fixture
def paper(world: BoardWorld) -> Paper:
    paper = document_services.paper_create(actor=world.secretary, item=world.public_item, title="Finance report")
    document_services.paper_version_add(actor=world.secretary, paper=paper, data=report())
    paper.refresh_from_db()
    return paper


def highlight(**changes: Any) -> dict[str, Any]:
    payload = {
        "client_id": str(uuid.uuid4()),
        "kind": "highlight",
        "page": 5,
        "rects": [[72.0, 722.0, 380.0, 14.0]],
        "quote": {"exact": TARGET, "prefix": "reviewed its reserves in October. ", "suffix": " It will review"},
        "position": {"start": 60, "end": 60 + len(TARGET)},
        "color": "#ffd400",
    }
    payload.update(changes)
    return payload


def post(client: Client, paper: Paper, payload: Any) -> Any:
    return client.post(f"/papers/{paper.pk}/annotations/", data=json.dumps(payload), content_type="application/json")


def listed(client: Client, paper: Paper) -> list[dict[str, Any]]:
    response = client.get(f"/papers/{paper.pk}/annotations/")
    assert response.status_code == 200
    return list(response.json()["annotations"])


def test_a_highlight_is_stored_once_however_often_the_device_retries(world: BoardWorld, paper: Paper) -> None:
    member = sign_in(Client(), world.member)
    payload = highlight()
    first = post(member, paper, payload)
    assert first.status_code == 201
    again = post(member, paper, payload)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Annotation.objects.count() == 1
    stored = Annotation.objects.get()
    # Anchored in the server's own text of the page, whatever offsets the device sent.
    assert stored.text_start is not None and stored.text_end - stored.text_start == len(TARGET)  # type: ignore[operator]
    assert [a["id"] for a in listed(member, paper)] == [stored.pk]


def test_private_stays_with_its_author_and_shared_follows_the_policy(world: BoardWorld, paper: Paper) -> None:
    member, chair = sign_in(Client(), world.member), sign_in(Client(), world.chair)
    private = post(member, paper, highlight()).json()
    shared = post(member, paper, highlight(visibility="shared", kind="note", body="Ask about the target")).json()
    assert listed(chair, paper) == [a for a in listed(chair, paper) if a["id"] == shared["id"]]
    assert [a["id"] for a in listed(chair, paper)] == [shared["id"]]
    assert listed(chair, paper)[0]["author"]["name"]
    observer = sign_in(Client(), world.observer)
    assert [a["id"] for a in listed(observer, paper)] == [shared["id"]]
    # The recused member, an outsider and a former member cannot even see the paper's annotations.
    for user in (world.recused, world.outsider, world.former):
        assert sign_in(Client(), user).get(f"/papers/{paper.pk}/annotations/").status_code == 404
    # Nobody but the author reaches the private one, even by its id.
    assert chair.patch(f"/annotations/{private['id']}/", data="{}", content_type="application/json").status_code == 404
    assert chair.delete(f"/annotations/{private['id']}/").status_code == 404
    # A shared one others can see, but only its author changes.
    response = chair.patch(f"/annotations/{shared['id']}/", data='{"body": "x"}', content_type="application/json")
    assert response.status_code == 403
    assert not any("Ask about" not in a["body"] for a in listed(member, paper) if a["id"] == shared["id"])


def test_an_observer_cannot_share_and_the_author_can_unshare_and_delete(world: BoardWorld, paper: Paper) -> None:
    observer = sign_in(Client(), world.observer)
    assert post(observer, paper, highlight(visibility="shared")).status_code == 403
    assert post(observer, paper, highlight()).status_code == 201  # a private mark is reading, not taking part
    member = sign_in(Client(), world.member)
    shared = post(member, paper, highlight(visibility="shared")).json()
    response = member.patch(
        f"/annotations/{shared['id']}/", data='{"visibility": "private"}', content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["visibility"] == "private"
    assert shared["id"] not in [a["id"] for a in listed(sign_in(Client(), world.chair), paper)]
    assert member.delete(f"/annotations/{shared['id']}/").status_code == 204
    assert shared["id"] not in [a["id"] for a in listed(member, paper)]


@pytest.mark.parametrize(
    "payload, message",
    [
        ("not json", "not valid JSON"),
        ([1, 2], "one JSON object"),
        ({"kind": "highlight", "page": 1}, "UUID"),
        (highlight(page=99), "page must be between"),
        (highlight(kind="scribble"), "kind must be one of"),
        (highlight(rects=[[1, 2, 3]]), "[x, y, width, height]"),
        (highlight(rects=[[1, 2, 3, 4]] * 500), "at most"),
        (highlight(color="red"), "color"),
        (highlight(kind="note", body=""), "needs some text"),
        (highlight(kind="ink", ink=[]), "at least one stroke"),
        (highlight(kind="ink", ink=[[[1, 2]] * 5000]), "too many points"),
        (highlight(body="x" * 6000), "too long"),
        (highlight(version=7), "No such version"),
    ],
)
def test_bad_annotations_get_a_clear_400(world: BoardWorld, paper: Paper, payload: Any, message: str) -> None:
    member = sign_in(Client(), world.member)
    body = payload if isinstance(payload, str) else json.dumps(payload)
    response = member.post(f"/papers/{paper.pk}/annotations/", data=body, content_type="application/json")
    assert response.status_code == 400 and message in response.json()["error"]
    assert not Annotation.objects.exists()


def test_a_number_that_is_not_finite_is_refused(world: BoardWorld, paper: Paper) -> None:
    member = sign_in(Client(), world.member)
    body = json.dumps(highlight()).replace("72.0", "NaN", 1)
    response = member.post(f"/papers/{paper.pk}/annotations/", data=body, content_type="application/json")
    assert response.status_code == 400


def test_shared_annotations_travel_live_to_the_item_and_private_ones_to_their_author_only(
    world: BoardWorld, paper: Paper, django_capture_on_commit_callbacks: Any
) -> None:
    member = sign_in(Client(), world.member)
    post(member, paper, highlight(visibility="shared"))
    post(member, paper, highlight())
    events = list(MeetingEvent.objects.filter(type="annotation.created").order_by("seq"))
    assert [(e.audience, e.item_id, e.user_id) for e in events] == [
        ("item", world.public_item.pk, None),
        ("user", None, world.member.pk),
    ]


def test_a_new_version_with_text_inserted_above_carries_the_highlight_to_the_same_sentence(
    world: BoardWorld, paper: Paper, django_capture_on_commit_callbacks: Any, tmp_path: Path
) -> None:
    member = sign_in(Client(), world.member)
    post(member, paper, highlight(visibility="shared"))
    note = post(member, paper, highlight(kind="note", body="Why three months?", quote={"exact": TARGET})).json()
    ink = post(member, paper, highlight(kind="ink", page=8, ink=[[[100, 100], [150, 120]]], quote={})).json()
    with django_capture_on_commit_callbacks(execute=True):
        document_services.paper_version_add(actor=world.secretary, paper=paper, data=report(insert_above=1))
    paper.refresh_from_db()
    version2 = paper.current_version
    assert version2 is not None and version2.number == 2
    carried = {a.carried_from_id: a for a in Annotation.objects.filter(version=version2)}
    assert len(carried) == 3
    moved = [a for a in carried.values() if a.kind == "highlight"][0]
    assert moved.page == 6 and not moved.orphaned  # the sentence is now on page 6
    assert moved.rects and moved.rects[0][1] > 600  # near the top of the page, as before
    local = tmp_path / "v2.pdf"
    with version2.file.open("rb") as handle:
        local.write_bytes(handle.read())
    with annotating.anchoring.Document(local) as doc:
        assert doc.page(6).text[moved.text_start : moved.text_end] == TARGET  # type: ignore[misc]
    assert carried[note["id"]].page == 6
    assert carried[ink["id"]].page == 9 and not carried[ink["id"]].orphaned  # its page moved down one
    # The reader of version 2 sees them; the old ones stay on version 1.
    assert {a["page"] for a in listed(member, paper)} == {6, 9}
    # Carrying again changes nothing.
    assert annotating.carry_forward(paper_id=paper.pk) == 0


def test_an_annotation_whose_text_is_gone_is_kept_as_orphaned(
    world: BoardWorld, paper: Paper, django_capture_on_commit_callbacks: Any
) -> None:
    member = sign_in(Client(), world.member)
    post(member, paper, highlight())
    rewritten = make_text_pdf([["An entirely new report"], ["with nothing of the old one"]])
    with django_capture_on_commit_callbacks(execute=True):
        document_services.paper_version_add(actor=world.secretary, paper=paper, data=rewritten)
    orphan = Annotation.objects.get(version__number=2)
    assert orphan.orphaned and orphan.quote_exact == TARGET
    assert listed(member, paper)[0]["orphaned"] is True


def test_exports_hold_my_annotations_as_web_annotations_and_as_a_real_pdf(world: BoardWorld, paper: Paper) -> None:
    member = sign_in(Client(), world.member)
    post(member, paper, highlight(body="Check this"))
    post(member, paper, highlight(kind="ink", page=2, ink=[[[100, 100], [150, 120], [170, 90]]], quote={}))
    post(sign_in(Client(), world.chair), paper, highlight(visibility="shared"))  # not mine
    export = member.get(f"/papers/{paper.pk}/annotations.jsonld")
    assert export.status_code == 200 and "application/ld+json" in export["Content-Type"]
    collection = json.loads(export.content)
    assert "http://www.w3.org/ns/anno.jsonld" in collection["@context"]
    items = collection["first"]["items"]
    assert len(items) == 2
    marked = next(item for item in items if item["motivation"] == "highlighting")
    selectors = marked["target"]["selector"]
    assert len({s["value"] for s in selectors}) == 1 and all(s["type"] == "FragmentSelector" for s in selectors)
    refined = {s["refinedBy"]["type"]: s["refinedBy"] for s in selectors}
    assert refined["TextQuoteSelector"]["exact"] == TARGET and "TextPositionSelector" in refined
    assert marked["body"]["value"] == "Check this"
    assert marked["audience"] == {"type": "schema:Audience", "schema:audienceType": "author only"}
    # Every term beyond the Web Annotation vocabulary is defined in Boardroom's own context.
    own = next(c for c in collection["@context"] if c != "http://www.w3.org/ns/anno.jsonld")
    context = member.get(own.replace("http://testserver", ""))
    assert context.status_code == 200
    terms = json.loads(context.content)["@context"]
    ink = next(item for item in items if item["motivation"] == "commenting")
    used = {"page", "rects", "strokes", "versionNumber", "RectSelector", "InkSelector", "PaperVersion"}
    assert used <= set(terms)
    ink_selectors = ink["target"]["selector"]
    ink_selectors = ink_selectors if isinstance(ink_selectors, list) else [ink_selectors]
    assert "InkSelector" in {s["refinedBy"]["type"] for s in ink_selectors}
    assert marked["target"]["state"] == {"type": "PaperVersion", "versionNumber": 1}
    # Each annotation's IRI dereferences, for those who may see it.
    iri = marked["id"].replace("http://testserver", "")
    single = member.get(iri)
    assert single.status_code == 200 and json.loads(single.content)["id"] == marked["id"]
    assert sign_in(Client(), world.chair).get(iri).status_code == 404  # private to the member
    copy = member.get(f"/papers/{paper.pk}/annotated.pdf")
    assert copy.status_code == 200
    with pikepdf.open(io.BytesIO(copy.content)) as pdf:
        kinds = [str(a.Subtype) for page in pdf.pages for a in page.obj.get("/Annots", [])]
    assert sorted(kinds) == ["/Highlight", "/Ink"]
    assert sign_in(Client(), world.outsider).get(f"/papers/{paper.pk}/annotated.pdf").status_code == 404
