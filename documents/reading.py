"""Who has read what: receipts per paper and per version, the secretary's read-status matrix,
and reminders to those who have not opened the current version of a paper.

A receipt is written when a person opens a paper (``paper_opened``), never when the file is
merely fetched again in ranges. The matrix asks the policy, person by person, which papers each
may see: a cell a person may not see (Part B for an observer, an item they are recused from)
says so and is never counted as unread.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from boardroom import audit, policy
from boardroom.policy import Action
from meetings import notices
from meetings.models import Meeting, Notice

from .models import Paper, PaperRead, PaperVersion, VersionRead

# A second tap on "remind" within this time reminds nobody twice.
REMIND_AGAIN_AFTER = dt.timedelta(hours=1)


def paper_opened(*, user: User, paper: Paper, version: PaperVersion) -> None:
    """Note that ``user`` opened ``version`` of ``paper``: the paper's receipt and the version's."""
    now = timezone.now()
    read, _ = PaperRead.objects.get_or_create(paper=paper, user=user, defaults={"last_version": version.number})
    PaperRead.objects.filter(pk=read.pk).update(opens=F("opens") + 1, last_version=version.number, last_opened_at=now)
    seen, _ = VersionRead.objects.get_or_create(version=version, user=user, defaults={"first_opened_at": now})
    VersionRead.objects.filter(pk=seen.pk).update(opens=F("opens") + 1, last_opened_at=now)


@dataclass(frozen=True)
class Cell:
    state: str  # "read" (this version), "earlier" (an earlier version only), "unread", "hidden"
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    opened_version: int | None = None


@dataclass
class Column:
    paper: Paper
    version: PaperVersion
    unread: list[User] = field(default_factory=list)


@dataclass
class ReadStatus:
    people: list[User]
    columns: list[Column]
    cells: dict[tuple[int, int], Cell]

    def row(self, person: User) -> list[Cell]:
        return [self.cells[(person.pk, column.paper.pk)] for column in self.columns]


def _ready_papers(meeting: Meeting) -> list[Paper]:
    return list(
        Paper.objects.filter(item__meeting=meeting, current_version__isnull=False)
        .select_related("item", "current_version")
        .order_by("item__sort_key", "position", "pk")
    )


def read_status(*, actor: User, meeting: Meeting) -> ReadStatus:
    """Person × paper: opened this version (first and last), only an earlier one, or not at all."""
    if not policy.can(actor, Action.MANAGE, meeting):
        raise PermissionDenied("Only the board's secretary or chair sees who has read what.")
    papers = _ready_papers(meeting)
    people = list(policy.audience(meeting).order_by("last_name", "first_name", "username"))
    paper_ids = [paper.pk for paper in papers]
    versions = {paper.current_version_id for paper in papers}
    current = {
        (r.user_id, r.version.paper_id): r
        for r in VersionRead.objects.filter(version_id__in=versions).select_related("version")
    }
    earlier = {
        (r.user_id, r.paper_id): r
        for r in PaperRead.objects.filter(paper_id__in=paper_ids, user__in=[p.pk for p in people])
    }
    columns = [Column(paper=paper, version=paper.current_version) for paper in papers if paper.current_version]
    cells: dict[tuple[int, int], Cell] = {}
    for person in people:
        may_see = set(policy.visible(person, Paper.objects.filter(pk__in=paper_ids)).values_list("pk", flat=True))
        for column in columns:
            key = (person.pk, column.paper.pk)
            if column.paper.pk not in may_see:
                cells[key] = Cell("hidden")
            elif key in current:
                got = current[key]
                cells[key] = Cell("read", got.first_opened_at, got.last_opened_at, column.version.number)
            else:
                before = earlier.get(key)
                if before is not None:
                    cells[key] = Cell("earlier", None, before.last_opened_at, before.last_version)
                else:
                    cells[key] = Cell("unread")
                column.unread.append(person)
    return ReadStatus(people=people, columns=columns, cells=cells)


@transaction.atomic
def remind(*, actor: User, meeting: Meeting, paper: Paper | None = None) -> int:
    """Remind everyone who has not opened the current version of ``paper`` (or of any paper of
    the meeting): an in-app notice each, emailed in the usual batches. Returns how many people."""
    status = read_status(actor=actor, meeting=meeting)
    columns = [c for c in status.columns if paper is None or c.paper.pk == paper.pk]
    if paper is not None and not columns:
        raise ValidationError("That paper is not ready to read yet.")
    since = timezone.now() - REMIND_AGAIN_AFTER
    reminded: set[int] = set()
    for column in columns:
        people = [p for p in column.unread if p.pk != actor.pk]
        recent = set(
            Notice.objects.filter(
                kind=Notice.Kind.REMINDER, item=column.paper.item, user__in=people, created_at__gte=since
            ).values_list("user_id", flat=True)
        )
        people = [p for p in people if p.pk not in recent]
        if not people:
            continue
        item = column.paper.item
        notices.notify(
            meeting=meeting,
            kind=Notice.Kind.REMINDER,
            text=f"Please read “{column.paper.title}” (item {item.number}, version {column.version.number}) "
            f"before {meeting.title}.",
            users=people,
            item=item,
        )
        reminded.update(p.pk for p in people)
        audit.record(
            "paper.reminded",
            actor=actor,
            obj=column.paper,
            board_id=meeting.board_id,
            version=column.version.number,
            people=len(people),
        )
    return len(reminded)
