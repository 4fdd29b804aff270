"""The pack's front matter: the agenda is laid out once per state of the agenda, and each reader's
cut is composed from the blocks of its own items, with its own page numbers."""

from __future__ import annotations

import copy
import io
from typing import Any

import pikepdf
import pytest
from django.core.files.storage import default_storage

from documents import packs
from tests.test_packs import page_texts


def manifest(items: int, papers: int = 2) -> dict[str, Any]:
    return {
        "board": "Riverside Trust",
        "organisation": "",
        "time_zone": "UTC",
        "title": "Long meeting",
        "starts_at": "2026-12-01T10:00:00+00:00",
        "ends_at": None,
        "location": "",
        "published": True,
        "invited": [],
        "items": [
            {
                "id": n + 1,
                "parent": None,
                "number": str(n + 1),
                "title": f"Item called {'Osprey' if n % 7 == 6 else 'Heron'} {n + 1}",
                "description": "",
                "purpose": "Decision",
                "presenter": "",
                "minutes": 0,
                "confidential": n % 7 == 6,
                "papers": [
                    {"id": 100 * (n + 1) + p, "title": f"Paper {n + 1}.{p}", "version": 1, "sha256": "a", "pages": 1}
                    for p in range(papers)
                ],
            }
            for n in range(items)
        ],
    }


@pytest.fixture
def layouts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the agenda layouts rendered (not read from storage)."""
    import weasyprint

    made: list[int] = []
    real = weasyprint.HTML

    def counting(*args: Any, **kwargs: Any) -> Any:
        if "blk-head" in kwargs.get("string", ""):
            made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(weasyprint, "HTML", counting)
    return made


@pytest.mark.django_db
def test_cuts_share_one_layout_and_each_holds_only_its_items(layouts: list[int]) -> None:
    meeting = manifest(40)
    items = meeting["items"]
    visible = [item for item in items if not item["confidential"]]
    labels: dict[int, list[str]] = {}
    for number, paper in enumerate((p for item in visible for p in item["papers"]), start=1):
        labels[paper["id"]] = [str(number)]

    everyone, _ = packs.front_matter(meeting, items, labels, revision=1)
    observer, anchors = packs.front_matter(meeting, visible, labels, revision=1)

    assert len(layouts) == 1
    text = "\n".join(page_texts(observer)[anchors["agenda"] :])
    assert "Osprey" not in text and "PART B" not in text
    assert "Osprey" in "\n".join(page_texts(everyone))
    cover = page_texts(everyone)[0]
    assert "Riverside Trust" in cover and "Board pack, revision 1" in cover
    assert "comment" not in "\n".join(page_texts(everyone)).lower()  # no template text leaks
    with pikepdf.open(io.BytesIO(observer)) as pdf:
        assert len(pdf.pages) > anchors["agenda"] + 1  # 40 items take more than one page
        forms: dict[tuple[int, int], tuple[str, Any]] = {}
        for page in pdf.pages:
            for name, form in page.Resources.get("/XObject", {}).items():
                forms[form.objgen] = (name, form)
        # Blocks everyone sees share layout pages: far fewer forms than blocks.
        assert len(forms) < len(visible) / 4
        # Whole, unclipped, the layout pages in the observer's file hold nothing of Part B.
        whole = pikepdf.new()
        for name, form in forms.values():
            box = [float(v) for v in form.BBox]
            blank = whole.add_blank_page(page_size=(box[2] - box[0], box[3] - box[1]))
            blank.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary({name: whole.copy_foreign(form)}))
            blank.Contents = whole.make_stream(f"1 0 0 1 {-box[0]} {-box[1]} cm {name} Do".encode())
        buffer = io.BytesIO()
        whole.save(buffer)
    unclipped = "\n".join(page_texts(buffer.getvalue()))
    assert "Paper 1.0" in unclipped and "Osprey" not in unclipped and "PART B" not in unclipped
    # Every paper's label follows its title; items are in order, each on the page the anchor says.
    for paper_id, (label,) in labels.items():
        assert f"Paper {paper_id // 100}.{paper_id % 100}" in text and label in text
    pages = [anchors[f"item-{item['id']}"] for item in visible]
    assert pages == sorted(pages) and pages[-1] > pages[0]


@pytest.mark.django_db
def test_a_new_version_of_the_same_length_reuses_the_layout(layouts: list[int]) -> None:
    meeting = manifest(5)
    packs.agenda_layout(meeting, meeting_id=7)
    changed = copy.deepcopy(meeting)
    changed["items"][2]["papers"][0].update(version=2, sha256="b")
    packs.agenda_layout(changed, meeting_id=7)
    assert len(layouts) == 1
    kept = default_storage.listdir(f"{packs.LAYOUT_FOLDER}/7")[1]
    longer = copy.deepcopy(changed)
    longer["items"][2]["papers"][0]["pages"] = 3  # "3 pages" is shown: laid out again
    packs.agenda_layout(longer, meeting_id=7)
    assert len(layouts) == 2
    now = default_storage.listdir(f"{packs.LAYOUT_FOLDER}/7")[1]
    assert len(now) == len(kept) == 2 and not set(now) & set(kept)  # the older state's files are gone


@pytest.mark.django_db
def test_declared_items_and_their_sub_items_get_layout_pages_of_their_own(world: Any) -> None:
    from meetings import services
    from meetings.models import Declaration

    item = services.agenda_item_add(actor=world.secretary, meeting=world.meeting, title="Leases")
    manifest_items = [
        {"id": item.pk, "confidential": False, "parent": None},
        {"id": 90_001, "confidential": False, "parent": item.pk},
        {"id": world.part_b_item.pk, "confidential": True, "parent": None},
        {"id": 90_002, "confidential": False, "parent": None},
    ]
    assert packs.withheld_items({"items": manifest_items}, world.meeting.pk) & {item.pk, 90_001, 90_002} == set()
    assert world.part_b_item.pk in packs.withheld_items({"items": manifest_items}, world.meeting.pk)
    Declaration.objects.create(item=item, user=world.member, nature="Trustee of the tenant")
    withheld = packs.withheld_items({"items": manifest_items}, world.meeting.pk)
    assert {item.pk, 90_001, world.part_b_item.pk} <= withheld and 90_002 not in withheld
