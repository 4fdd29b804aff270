"""Board packs: one paginated, bookmarked PDF per meeting and reader.

A *revision* (``BoardPack``) is fixed by its manifest: the agenda and each ready paper version,
in order. Its hash keys the build, so a meeting that has not changed is never compiled again;
a change to a paper, the agenda or the meeting schedules a build (debounced: changes that come
together make one build). The previous revision stays the one people download until the new
one is ready.

Each reader gets the *cut* of the revision holding exactly the items the policy lets them see:
Part B and items they are recused from leave no page, no agenda line and no bookmark. Readers
who see the same items share one compiled file; a board that wants watermarks gets a copy per
reader, made on demand from the cut and kept for that revision.

Page numbers: the front matter (cover and agenda) is numbered i, ii…; papers from 1. Once the
meeting is published, its first pack fixes the numbers. A paper that arrives later either
slots in as supplementary pages (12a, 12b… after page 12, nothing else moves) or the pack is
reissued and renumbered, as the board chooses; members are told which.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import tempfile
import time
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone

from boardroom import audit, policy
from boardroom.locks import ProcessLock, is_held
from boardroom.policy import AnyUser
from meetings.models import AgendaItem, Declaration, Meeting, MeetingStatus, Notice, PackAdditions

from . import packpdf
from .localfiles import local_path
from .models import BoardPack, PackCopy, PackStatus, Paper, PaperVersion

logger = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 5
# Earlier revisions whose files are kept besides the newest. None: a download already under
# way finishes (an open file survives deletion; so does an S3 GET in flight), and a paper that
# was withdrawn must not live on in an older pack.
KEEP_PREVIOUS = 0
# Shown when a revision's build died with its process (a worker killed, a machine restarted).
STOPPED = "The build stopped before it finished (its worker was stopped); compile again."


def build_lock(meeting_id: int) -> ProcessLock:
    """Held for the whole of a meeting's build, and released if its process dies: one build per
    meeting at a time, and a revision "compiling" without it is known to be abandoned."""
    return ProcessLock(f"pack-build:{meeting_id}")


# --- what goes in ----------------------------------------------------------------------------


def manifest_of(meeting: Meeting) -> dict[str, Any]:
    """The meeting as the pack shows it: details, who is invited, items and ready papers in order."""
    from meetings.selectors import seated_people

    board = meeting.board
    papers: dict[int, list[dict[str, Any]]] = {}
    ready = (
        Paper.objects.filter(item__meeting=meeting, current_version__isnull=False)
        .select_related("current_version")
        .order_by("position", "pk")
    )
    for paper in ready:
        version = paper.current_version
        assert version is not None
        papers.setdefault(paper.item_id, []).append(
            {
                "id": paper.pk,
                "title": paper.title,
                "version": version.pk,
                "number": version.number,
                "sha256": version.sha256,
                "pages": version.page_count,
            }
        )
    items = []
    for item in AgendaItem.objects.filter(meeting=meeting).select_related("presenter").order_by("sort_key"):
        items.append(
            {
                "id": item.pk,
                "parent": item.parent_id,
                "number": item.number,
                "title": item.title,
                "description": item.description,
                "purpose": item.get_purpose_display(),
                "presenter": item.presenter_label,
                "minutes": item.duration_minutes,
                "confidential": item.confidential,
                "papers": papers.get(item.pk, []),
            }
        )
    invited = [
        {
            "name": m.user.get_full_name() or m.user.get_username(),
            "role": m.get_role_display(),
            "title": m.title,
            "observer": m.role == "observer",
        }
        for m in seated_people(board)
    ]
    return {
        "board": board.name,
        "organisation": board.organisation,
        "time_zone": board.time_zone,
        "title": meeting.title,
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat() if meeting.ends_at else None,
        "location": meeting.location,
        "published": meeting.status != MeetingStatus.DRAFT,
        "invited": invited,
        "items": items,
    }


def inputs_of(manifest: dict[str, Any], additions: str) -> str:
    text = json.dumps({"manifest": manifest, "additions": additions}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def cut_key(item_ids: Iterable[int]) -> str:
    return hashlib.sha256(",".join(str(i) for i in sorted(item_ids)).encode()).hexdigest()


def _items_in(manifest: dict[str, Any], item_ids: Iterable[int] | None) -> list[dict[str, Any]]:
    if item_ids is None:
        return list(manifest["items"])
    wanted = set(item_ids)
    return [item for item in manifest["items"] if item["id"] in wanted]


def _paper_lengths(items: Sequence[dict[str, Any]]) -> list[tuple[int, int]]:
    return [(paper["id"], paper["pages"]) for item in items for paper in item["papers"]]


# --- numbering -------------------------------------------------------------------------------


def number_pages(papers: Sequence[tuple[int, int]], baseline: Sequence[tuple[int, int]] | None) -> dict[int, list[str]]:
    """Page labels for each paper (id, pages), in order.

    Without a baseline the papers are numbered 1, 2, 3… With one (the papers and page counts
    of the pack as first published, in the same cut), a paper keeps the numbers it had then;
    pages that were not there (a late paper, or pages a paper gained) take the number of the
    page before them and a letter: 12a, 12b… Numbers of removed pages are simply not used.
    """
    labels: dict[int, list[str]] = {}
    if baseline is None:
        page = 0
        for paper_id, pages in papers:
            labels[paper_id] = [str(page + i + 1) for i in range(pages)]
            page += pages
        return labels
    start: dict[int, tuple[int, int]] = {}
    page = 0
    for paper_id, pages in baseline:
        start[paper_id] = (page + 1, pages)
        page += pages
    last, extra = 0, 0
    for paper_id, pages in papers:
        first, kept = start.get(paper_id, (0, 0))
        own = []
        for i in range(pages):
            if i < kept:
                last, extra = first + i, 0
                own.append(str(last))
            else:
                extra += 1
                own.append(f"{last}{packpdf.supplement_letters(extra)}")
        labels[paper_id] = own
    return labels


def _highest_number(labels: dict[int, list[str]]) -> int:
    return max((int(label) for own in labels.values() for label in own if label.isdigit()), default=0)


def label_span(labels: Sequence[str]) -> str:
    if not labels:
        return ""
    return labels[0] if len(labels) == 1 else f"{labels[0]}–{labels[-1]}"


# --- the front matter ------------------------------------------------------------------------


def _local(value: str | None, zone_name: str) -> Any:
    if not value:
        return None
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return dt.datetime.fromisoformat(value).astimezone(zone)


def front_context(manifest: dict[str, Any], items: list[dict[str, Any]], labels: dict[int, list[str]] | None) -> dict:
    rows = []
    for item in items:
        papers = [
            {
                **paper,
                "pages_label": label_span(labels.get(paper["id"], [])) if labels else "",
                "supplement": bool(labels and labels.get(paper["id"]) and not labels[paper["id"]][0].isdigit()),
            }
            for paper in item["papers"]
        ]
        first = next((labels.get(p["id"], [""])[0] for p in item["papers"] if labels and labels.get(p["id"])), "")
        rows.append({**item, "papers": papers, "depth": 1 if item["parent"] else 0, "first_label": first})
    return {
        "m": manifest,
        "starts_at": _local(manifest["starts_at"], manifest["time_zone"]),
        "ends_at": _local(manifest["ends_at"], manifest["time_zone"]),
        "items": rows,
        "has_confidential": any(item["confidential"] for item in items),
        "voting": [p for p in manifest["invited"] if not p["observer"]],
        "observers": [p for p in manifest["invited"] if p["observer"]],
        "link_scheme": packpdf.LINK_SCHEME,
    }


def refusing_fetcher() -> Any:
    """WeasyPrint's URL fetcher for packs: nothing is fetched, not a file, not the network (the
    cover and agenda need no resource; anything asking for one is refused and noted)."""
    from weasyprint.urls import URLFetcher

    class RefusingFetcher(URLFetcher):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(allowed_protocols=(), allow_redirects=False, fail_on_errors=False)
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            self.refused.append(url[:200])
            raise ValueError("board packs load no external resources")

    return RefusingFetcher()


@functools.cache
def _font_config() -> Any:
    """One font configuration per process: fontconfig's set-up is not redone for every PDF."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def render_pdf(template: str, context: dict[str, Any]) -> tuple[bytes, dict[str, int]]:
    """A WeasyPrint rendering and the page index of each anchor in it."""
    return _render_html(render_to_string(template, context))


def _render_html(html: str) -> tuple[bytes, dict[str, int]]:
    import weasyprint

    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=refusing_fetcher()).render(
        font_config=_font_config()
    )
    anchors: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            anchors.setdefault(name, index)
    return document.write_pdf(), anchors


LAYOUT_TEMPLATE = "documents/pack_layout.html"
LAYOUT_FOLDER = "packs/layout"
PX = 0.75  # WeasyPrint's CSS pixel in points


def front_matter(
    manifest: dict[str, Any],
    items: list[dict[str, Any]],
    labels: dict[int, list[str]],
    *,
    revision: int,
    meeting_id: int = 0,
) -> tuple[bytes, dict[str, int]]:
    """A cut's cover and agenda, without laying the agenda out again for every cut.

    The agenda of every item is laid out once per state of the agenda (``agenda_layout``, kept
    in storage) and each cut's pages are composed from the blocks of its items, with its own
    page numbers; only the cover (a page or two) is rendered per revision.
    """
    # The revision is written on the cover when composing, so one cover serves every revision.
    cover_context = {**front_context(manifest, items, None), "part": "cover"}
    cover = _cover(render_to_string(LAYOUT_TEMPLATE, cover_context))
    layout, geometry = agenda_layout(manifest, meeting_id=meeting_id)
    blocks = [packpdf.FrontBlock("head")]
    for item in items:
        first = next((labels[p["id"]][0] for p in item["papers"] if labels.get(p["id"])), "")
        papers = [(p["id"], label_span(labels.get(p["id"], []))) for p in item["papers"]]
        blocks.append(packpdf.FrontBlock(str(item["id"]), item["id"], first, papers))
    if not items:
        blocks.append(packpdf.FrontBlock("empty"))
    return packpdf.compose_front(cover, layout, geometry, blocks, note=f"Board pack, revision {revision}")


_COVERS: dict[str, bytes] = {}


def _cover(html: str) -> bytes:
    """The cover for this HTML (a revision has one or two: with and without the Part B flag)."""
    key = hashlib.sha256(html.encode()).hexdigest()
    if key not in _COVERS:
        while len(_COVERS) >= 8:
            _COVERS.pop(next(iter(_COVERS)))
        _COVERS[key] = _render_html(html)[0]
    return _COVERS[key]


def withheld_items(manifest: dict[str, Any], meeting_id: int) -> set[int]:
    """Items some reader of the meeting may not see: Part B, and items someone declared an
    interest in (with their sub-items, as the policy recuses them). Every other item is in every
    reader's cut."""
    withheld = {item["id"] for item in manifest["items"] if item.get("confidential")}
    withheld |= set(Declaration.objects.filter(item__meeting_id=meeting_id).values_list("item_id", flat=True))
    for item in manifest["items"]:  # parents come before their sub-items
        if item.get("parent") in withheld:
            withheld.add(item["id"])
    return withheld


def agenda_layout(manifest: dict[str, Any], *, meeting_id: int = 0) -> tuple[bytes, dict[str, Any]]:
    """Every agenda block of ``manifest`` laid out, and where each block and row is: rendered once
    per state of the agenda (and template) and kept in storage, in the meeting's folder, where a
    new state replaces the older ones (a withdrawn item's title must not live on).

    A block that some reader may not see (``withheld_items``) is laid out on a page of its own,
    so that a reader's file never holds it; the blocks everyone sees share pages, which makes a
    long agenda a few pages of layout rather than one per item.
    """
    context = {**front_context(manifest, list(manifest["items"]), None), "part": "agenda"}
    withheld = withheld_items(manifest, meeting_id)
    for row in context["items"]:
        row["alone"] = row["id"] in withheld
    # What the blocks show, and nothing else: a paper's new version of the same length (or a new
    # revision number) leaves the layout as it was, so the next build reuses it.
    shown = ("id", "number", "title", "purpose", "presenter", "minutes", "confidential", "depth", "alone")
    state = {
        "items": [
            {**{k: row[k] for k in shown}, "papers": [(p["id"], p["title"], p["pages"]) for p in row["papers"]]}
            for row in context["items"]
        ],
        "template": _template_source(LAYOUT_TEMPLATE),
    }
    key = hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()
    folder = f"{LAYOUT_FOLDER}/{meeting_id}"
    pdf_key, geometry_key = f"{folder}/{key}.pdf", f"{folder}/{key}.json"
    kept, kept_geometry = _stored(pdf_key), _stored(geometry_key)
    if kept is not None and kept_geometry is not None:
        return kept, json.loads(kept_geometry)
    import weasyprint

    html = render_to_string(LAYOUT_TEMPLATE, context)
    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=refusing_fetcher()).render(
        font_config=_font_config()
    )
    where: dict[str, tuple[int, float]] = {}
    for index, page in enumerate(document.pages):
        for name, box in page.anchors.items():  # (x, y, …) from the page's top left, CSS px
            where.setdefault(name, (index, box[1] * PX))
    blocks: dict[str, Any] = {}
    for key_name in ["head", "empty", *[str(item["id"]) for item in manifest["items"]]]:
        page_index, top = where[f"blk-{key_name}"]
        end_page, bottom = where[f"end-{key_name}"]
        if end_page != page_index:
            raise ValueError(f"agenda block {key_name} is longer than a layout page")
        block: dict[str, Any] = {"page": page_index, "top": top, "bottom": bottom}
        if key_name.isdigit():
            item = next(i for i in manifest["items"] if str(i["id"]) == key_name)
            block["line"] = where[f"row-i-{key_name}"][1]
            block["papers"] = {str(p["id"]): where[f"row-p-{p['id']}"][1] for p in item["papers"]}
        blocks[key_name] = block
    geometry = {"blocks": blocks}
    pdf = document.write_pdf()
    try:
        if not default_storage.exists(pdf_key):
            default_storage.save(pdf_key, ContentFile(pdf))
        if not default_storage.exists(geometry_key):
            default_storage.save(geometry_key, ContentFile(json.dumps(geometry).encode()))
        _prune_folder(folder, keep=key)
    except OSError:
        logger.warning("An agenda layout could not be kept for the next build")
    return pdf, geometry


def footer_fixed(manifest: dict[str, Any]) -> str:
    starts = _local(manifest["starts_at"], manifest["time_zone"])
    return f"{manifest['board']} · {manifest['title']} · {starts:%-d %B %Y}"


# --- compiling ---------------------------------------------------------------------------------


@dataclass
class _Progress:
    """Writes how far the build is, for the secretary's panel: a few times a second at most."""

    pack_id: int
    total: int
    done: int = 0
    shown: int = 0
    at: float = field(default_factory=time.monotonic)

    def advance(self, pages: int) -> None:
        self.done += pages
        percent = min(99, int(100 * self.done / max(self.total, 1)))
        now = time.monotonic()
        if percent >= self.shown + 5 and now - self.at >= 0.25:
            self.shown, self.at = percent, now
            BoardPack.objects.filter(pk=self.pack_id, status=PackStatus.BUILDING).update(progress=percent)


def _fetch(version_ids: Iterable[int], folder: Path) -> dict[int, Path]:
    """The paper renditions as local files: where they are on local disk, else copies (S3)."""
    versions = PaperVersion.objects.filter(pk__in=list(version_ids)).only("pk", "file")
    return {version.pk: local_path(version.file.name or "", folder) for version in versions}


def _numbering(pack: BoardPack, items: list[dict[str, Any]], item_ids: Iterable[int]) -> dict[int, list[str]]:
    baseline = None
    if pack.additions == PackAdditions.SUPPLEMENT and pack.baseline_id and pack.baseline_id != pack.pk:
        base = BoardPack.objects.only("manifest").get(pk=pack.baseline_id)
        baseline = _paper_lengths(_items_in(base.manifest, item_ids))
    return number_pages(_paper_lengths(items), baseline)


def compile_cut(pack: BoardPack, item_ids: Iterable[int], *, progress: Callable[[int], None] | None = None) -> PackCopy:
    """Compile (or find) the file of ``pack`` holding just the items ``item_ids``."""
    item_ids = sorted(set(item_ids))
    key = cut_key(item_ids)
    existing = PackCopy.objects.filter(pack=pack, cut=key, reader__isnull=True).first()
    if existing is not None:
        return existing
    manifest = pack.manifest
    items = _items_in(manifest, item_ids)
    labels = _numbering(pack, items, item_ids)
    front, anchors = front_matter(manifest, items, labels, revision=pack.revision, meeting_id=pack.meeting_id)
    with tempfile.TemporaryDirectory(prefix="boardroom-pack-") as tmp:
        folder = Path(tmp)
        files = _fetch((p["version"] for item in items for p in item["papers"]), folder)
        plan = packpdf.Plan(
            front=front,
            front_anchors=anchors,
            items=[
                packpdf.ItemPart(
                    item_id=item["id"],
                    number=item["number"],
                    title=item["title"],
                    papers=[
                        packpdf.PaperPart(p["id"], p["title"], files[p["version"]], labels[p["id"]])
                        for p in item["papers"]
                    ],
                )
                for item in items
            ],
            footer_fixed=footer_fixed(manifest),
            last_number=_highest_number(labels),
        )
        out = folder / "pack.pdf"
        built = packpdf.assemble(plan, out, progress=(lambda part: progress(part.pages)) if progress else None)
        page_map = {
            "papers": {str(pid): info for pid, info in built.papers.items()},
            "items": {str(iid): index for iid, index in built.items.items()},
            "front": built.front,
            "last": plan.last_number,
        }
        return _store_copy(pack, key, None, out, built.pages, page_map)


class _MovableFile(File):  # type: ignore[type-arg]
    """A finished file in our own temporary folder: a storage on local disk may move it into place
    instead of copying it (Django's file storage does so for anything with a temporary path)."""

    def __init__(self, handle: Any, path: Path) -> None:
        super().__init__(handle, name=path.name)
        self._path = path

    def temporary_file_path(self) -> str:
        return str(self._path)


def _store_copy(
    pack: BoardPack, key: str, reader: User | None, path: Path, pages: int, page_map: dict[str, Any]
) -> PackCopy:
    copy = PackCopy(pack=pack, cut=key, reader=reader, pages=pages, size=path.stat().st_size, page_map=page_map)
    with path.open("rb") as handle:
        copy.file.save("pack.pdf", _MovableFile(handle, path), save=False)
    try:
        with transaction.atomic():
            copy.save()
    except IntegrityError:
        # Another request compiled the same copy meanwhile: keep theirs.
        default_storage.delete(copy.file.name or "")
        return PackCopy.objects.get(pack=pack, cut=key, reader=reader)
    return copy


def pack_build(meeting_id: int, *, actor: User | None = None) -> BoardPack | None:
    """Build a new revision if the meeting changed since the last one; compile its readers' cuts.

    Safe to run twice, or again after a build died half-way: builds of one meeting take turns,
    and a revision left "compiling" by a dead build is finished (the copies it stored are kept)
    if the meeting is unchanged, or marked failed if not.
    """
    with build_lock(meeting_id):
        return _pack_build(meeting_id, actor=actor)


def _pack_build(meeting_id: int, *, actor: User | None) -> BoardPack | None:
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().select_related("board").filter(pk=meeting_id).first()
        if meeting is None:
            return None
        manifest = manifest_of(meeting)
        additions = meeting.board.pack_additions
        inputs = inputs_of(manifest, additions)
        # This build holds the meeting's build lock: any revision still "compiling" was abandoned.
        latest = meeting.packs.exclude(status=PackStatus.FAILED).order_by("-revision").first()
        resume = latest if latest is not None and latest.status == PackStatus.BUILDING else None
        if resume is not None and resume.inputs != inputs:
            resume = None
        abandoned = meeting.packs.filter(status=PackStatus.BUILDING)
        if resume is not None:
            abandoned = abandoned.exclude(pk=resume.pk)
        abandoned.update(status=PackStatus.FAILED, error=STOPPED)
        if resume is None and latest is not None and latest.status == PackStatus.READY and latest.inputs == inputs:
            return latest  # nothing changed: never rebuilt
        revision = (meeting.packs.aggregate(top=Max("revision"))["top"] or 0) + 1
        published = manifest["published"]
        baseline = None
        if published and additions == PackAdditions.SUPPLEMENT:
            baseline = meeting.packs.filter(published=True, first_read_at__isnull=False).order_by("revision").first()
        if resume is not None:
            logger.info(
                "Resuming board pack r%s of meeting %s, left by a build that stopped", resume.revision, meeting_id
            )
            pack = resume
        else:
            pack = BoardPack.objects.create(
                meeting=meeting,
                revision=revision,
                inputs=inputs,
                manifest=manifest,
                additions=additions,
                baseline=baseline,
                published=published,
                requested_by=actor,
            )
    try:
        readers = _readers(meeting, pack.manifest)
        _compile_all(pack, readers)
    except Exception as exc:  # noqa: BLE001 — a failed build must leave the previous revision in place
        logger.exception("Board pack r%s of meeting %s failed", pack.revision, meeting_id)
        BoardPack.objects.filter(pk=pack.pk).update(
            status=PackStatus.FAILED, error=f"The pack could not be compiled ({type(exc).__name__})."
        )
        pack.refresh_from_db()
        return pack
    with transaction.atomic():
        BoardPack.objects.filter(pk=pack.pk).update(status=PackStatus.READY, progress=100, ready_at=timezone.now())
        pack.refresh_from_db()
        previous = (
            meeting.packs.filter(status=PackStatus.READY, revision__lt=pack.revision).order_by("-revision").first()
        )
        if pack.published and previous is not None and (pack.baseline_id or previous.first_read_at):
            _tell_readers(meeting, pack, previous, readers)
        audit.record("pack.compiled", actor=actor, meeting=meeting.pk, revision=pack.revision)
        transaction.on_commit(lambda: _prune(meeting.pk, pack.revision))
    return pack


def _readers(meeting: Meeting, manifest: dict[str, Any]) -> dict[str, tuple[list[int], list[User]]]:
    """Everyone who may see the meeting, grouped by the items they see: cut key -> (items, people)."""
    cuts: dict[str, tuple[list[int], list[User]]] = {}
    people = list(policy.audience(meeting))
    ids = [item["id"] for item in manifest["items"]]
    for person in people:
        seen = reader_items(person, ids)
        cuts.setdefault(cut_key(seen), (seen, []))[1].append(person)
    return cuts


def reader_items(user: AnyUser, item_ids: Sequence[int]) -> list[int]:
    """Of the pack's items, those ``user`` may see (the policy decides, in one query)."""
    return list(policy.visible(user, AgendaItem.objects.filter(pk__in=list(item_ids))).values_list("pk", flat=True))


def _compile_all(pack: BoardPack, readers: dict[str, tuple[list[int], list[User]]]) -> None:
    manifest = pack.manifest
    everything = [item["id"] for item in manifest["items"]]
    cuts = {cut_key(everything): everything}
    for key, (items, _people) in readers.items():
        cuts.setdefault(key, items)
    total = sum(p["pages"] for ids in cuts.values() for item in _items_in(manifest, ids) for p in item["papers"])
    meter = _Progress(pack.pk, total)
    for items in cuts.values():
        compile_cut(pack, items, progress=meter.advance)


def _tell_readers(
    meeting: Meeting, pack: BoardPack, previous: BoardPack, readers: dict[str, tuple[list[int], list[User]]]
) -> None:
    """A notice to each reader whose pack changed, saying whether their page numbers moved."""
    from meetings import notices

    old_items = previous.manifest["items"]
    by_text: dict[str, list[User]] = {}
    for _key, (ids, people) in readers.items():
        new_papers = _versions(_items_in(pack.manifest, ids))
        old_papers = _versions([item for item in old_items if item["id"] in set(ids)])
        if new_papers == old_papers:
            continue
        if pack.baseline_id:
            text = (
                f"The board pack for {meeting.title} was updated (revision {pack.revision}): new pages are "
                "numbered as supplements (e.g. 12a), so page numbers you already have are unchanged."
            )
        else:
            text = (
                f"The board pack for {meeting.title} was reissued (revision {pack.revision}): "
                "page numbers have changed, so please use the new pack."
            )
        by_text.setdefault(text, []).extend(people)
    for text, people in by_text.items():
        notices.notify(meeting=meeting, kind=Notice.Kind.PAPERS_CHANGED, text=text, users=people)


def _versions(items: Iterable[dict[str, Any]]) -> list[tuple[int, int]]:
    return [(paper["id"], paper["version"]) for item in items for paper in item["papers"]]


def _prune(meeting_id: int, newest: int) -> None:
    """Delete the files of revisions older than the newest and the one before it."""
    ready = list(
        BoardPack.objects.filter(meeting_id=meeting_id, status=PackStatus.READY, revision__lte=newest)
        .order_by("-revision")
        .values_list("pk", flat=True)
    )
    stale = ready[1 + KEEP_PREVIOUS :]
    failed = BoardPack.objects.filter(meeting_id=meeting_id, status=PackStatus.FAILED, revision__lt=newest)
    copies = PackCopy.objects.filter(pack_id__in=[*stale, *failed.values_list("pk", flat=True)])
    from .services import delete_stored

    keys = list(copies.values_list("file", flat=True))
    copies.delete()
    delete_stored(keys)


# --- scheduling ----------------------------------------------------------------------------


def schedule(meeting: Meeting) -> None:
    """After this transaction commits, rebuild ``meeting``'s pack (debounced where the backend can).

    Drafts are compiled only when the secretary asks for a preview.
    """
    if meeting.status == MeetingStatus.DRAFT:
        return
    meeting_id = meeting.pk
    transaction.on_commit(lambda: enqueue_build(meeting_id))


def enqueue_build(meeting_id: int, actor_id: int | None = None, *, now: bool = False) -> None:
    """Queue a build; unless ``now``, it waits a few seconds so that a burst of changes makes one."""
    from .tasks import build_pack

    task = build_pack
    if not now and task.get_backend().supports_defer:
        task = task.using(run_after=timezone.now() + dt.timedelta(seconds=DEBOUNCE_SECONDS))
    try:
        task.enqueue(meeting_id, actor_id)
    except Exception:  # noqa: BLE001 — the change itself is committed; the next change retries
        logger.exception("Could not queue the pack build of meeting %s", meeting_id)


# --- reading -------------------------------------------------------------------------------


def mark_opened(pack: BoardPack) -> None:
    """A reader has the pack: from now on its page numbers are the ones late papers must keep."""
    if pack.first_read_at is None:
        BoardPack.objects.filter(pk=pack.pk, first_read_at__isnull=True).update(first_read_at=timezone.now())


def up_to_date(meeting: Meeting, pack: BoardPack | None) -> bool:
    """Whether ``pack`` was built from the meeting as it is now."""
    if pack is None:
        return False
    return pack.inputs == inputs_of(manifest_of(meeting), meeting.board.pack_additions)


def current_pack(meeting: Meeting) -> BoardPack | None:
    return meeting.packs.filter(status=PackStatus.READY).order_by("-revision").first()


def settle_stalled(meeting: Meeting) -> int:
    """Mark failed the revisions left "compiling" by a build that died; how many there were.

    A living build holds the meeting's build lock from before its revision exists until after
    it is ready, so "compiling" without the lock means nobody is compiling it any more.
    """
    stalled = meeting.packs.filter(status=PackStatus.BUILDING)
    if not stalled.exists() or is_held(build_lock(meeting.pk).name):
        return 0
    return stalled.update(status=PackStatus.FAILED, error=STOPPED)


def building_pack(meeting: Meeting) -> BoardPack | None:
    """The revision being compiled; a build that died is settled first (see ``settle_stalled``)."""
    settle_stalled(meeting)
    return meeting.packs.filter(status=PackStatus.BUILDING).order_by("-revision").first()


def copy_for(user: User, pack: BoardPack) -> PackCopy:
    """The reader's own pack file: their cut, watermarked for them if the board wants it."""
    items = reader_items(user, [item["id"] for item in pack.manifest["items"]])
    cut = compile_cut(pack, items)
    return _own(cut, user)


def compiled_copy_for(user: User, pack: BoardPack) -> PackCopy | None:
    """The reader's file of ``pack`` if it still exists; never compiles (for replaced revisions)."""
    items = reader_items(user, [item["id"] for item in pack.manifest["items"]])
    cut = PackCopy.objects.filter(pack=pack, cut=cut_key(items), reader__isnull=True).first()
    if cut is None:
        return None
    if pack.meeting.board.pack_watermark:
        return PackCopy.objects.filter(pack=pack, cut=cut.cut, reader=user).first()
    return cut


def _own(cut: PackCopy, user: User) -> PackCopy:
    pack = cut.pack
    if not pack.meeting.board.pack_watermark:
        return cut
    own = PackCopy.objects.filter(pack=pack, cut=cut.cut, reader=user).first()
    if own is not None:
        return own
    return _watermarked(cut, user)


def watermark_lines(user: User, pack: BoardPack) -> list[str]:
    name = user.get_full_name() or user.get_username()
    organisation = pack.meeting.board.organisation or pack.meeting.board.name
    when = timezone.now().astimezone(zoneinfo.ZoneInfo("UTC"))
    return [f"{name} · {organisation}", f"{when:%-d %b %Y %H:%M} UTC · pack revision {pack.revision}"]


def _watermarked(cut: PackCopy, user: User) -> PackCopy:
    with tempfile.TemporaryDirectory(prefix="boardroom-wm-") as tmp:
        folder = Path(tmp)
        source = local_path(cut.file.name or "", folder)
        out = folder / "own.pdf"
        pages = packpdf.watermark(source, out, watermark_lines(user, cut.pack))
        return _store_copy(cut.pack, cut.cut, user, out, pages, cut.page_map)


def compiled_cut(pack: BoardPack, visible_item_ids: Iterable[int]) -> PackCopy | None:
    """The reader's cut of ``pack`` if it is compiled already (``visible_item_ids``: what the
    policy lets them see, e.g. the items on their agenda page); never compiles."""
    visible = set(visible_item_ids)
    ids = [item["id"] for item in pack.manifest["items"] if item["id"] in visible]
    return PackCopy.objects.filter(pack=pack, cut=cut_key(ids), reader__isnull=True).first()


def page_ranges(copy: PackCopy | None) -> dict[int, str]:
    """paper id -> its pages in this pack ("14–22", "12a"), for showing beside each paper."""
    if copy is None:
        return {}
    return {int(pid): label_span(info["labels"]) for pid, info in copy.page_map.get("papers", {}).items()}


AGENDA_FOLDER = "packs/agenda"


def agenda_pdf(user: AnyUser, meeting: Meeting) -> bytes:
    """The agenda alone (cover and items, no papers), as this reader may see it.

    A pure function of the manifest and the items the reader sees, so it is rendered once per
    state of the agenda and kept in storage under the hash of both (and of the template); a
    changed agenda makes a new file and the meeting's files of earlier states are deleted.
    """
    manifest = manifest_of(meeting)
    items = _items_in(manifest, reader_items(user, [item["id"] for item in manifest["items"]]))
    template = "documents/pack_front.html"
    state = inputs_of(manifest, _template_source(template))
    key = f"{AGENDA_FOLDER}/{meeting.pk}/{state}-{cut_key(item['id'] for item in items)[:32]}.pdf"
    kept = _stored(key)
    if kept is not None:
        return kept
    pdf, _anchors = render_pdf(template, {**front_context(manifest, items, None), "agenda_only": True})
    try:
        if not default_storage.exists(key):
            default_storage.save(key, ContentFile(pdf))
        _prune_agendas(meeting.pk, state)
    except OSError:
        logger.warning("The agenda of meeting %s could not be kept for next time", meeting.pk)
    return pdf


def _stored(key: str) -> bytes | None:
    """A file kept in storage, or None when it is missing or cannot be read (made again then)."""
    try:
        with default_storage.open(key, "rb") as handle:
            return bytes(handle.read())
    except Exception as exc:  # noqa: BLE001 — any storage's "missing" or failure
        logger.debug("No usable stored %s (%s)", key, type(exc).__name__)
        return None


@functools.cache
def _template_source(name: str) -> str:
    from django.template.loader import get_template

    template: Any = get_template(name)
    return str(getattr(getattr(template, "template", None), "source", name))


def _prune_agendas(meeting_id: int, state: str) -> None:
    """Delete the meeting's agenda files made from an earlier state of it (a withdrawn item's
    title must not live on in storage)."""
    _prune_folder(f"{AGENDA_FOLDER}/{meeting_id}", keep=state)


def _prune_folder(folder: str, *, keep: str) -> None:
    """Delete the files in ``folder`` whose names do not start with ``keep``."""
    try:
        _dirs, files = default_storage.listdir(folder)
    except (FileNotFoundError, OSError, NotImplementedError):
        return
    for name in files:
        if not name.startswith(keep):
            default_storage.delete(f"{folder}/{name}")
