"""The paper saved: what printing and posting the board's papers would have cost, per year.

Pages distributed = for every meeting past draft, every ready paper (late supplements too) in
its current version, its pages × the members who received it: those seated on the meeting day
whose role sees the item (Part B only for roles that see Part B), less anyone recused from it.
Sheets follow from the pages (two pages a sheet when the board would print double-sided), and
postage is one pack per member per meeting. Four queries per board and year, whatever its size.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q

from boardroom import policy
from documents.models import Paper
from meetings.models import AgendaItem, Board, Declaration, Meeting, MeetingStatus, Membership

GRAMS_PER_A4_SHEET = Decimal("4.99")  # 80 g/m² × 0.06237 m²


@dataclass(frozen=True)
class PaperSaved:
    year: int
    meetings: int
    packs: int  # member × meeting
    pages: int
    sheets: int
    paper_cost: Decimal
    print_cost: Decimal
    postage: Decimal
    currency: str

    @property
    def kilograms(self) -> Decimal:
        return (Decimal(self.sheets) * GRAMS_PER_A4_SHEET / 1000).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def total(self) -> Decimal:
        return self.paper_cost + self.print_cost + self.postage

    @property
    def reams(self) -> int:
        return math.ceil(self.sheets / 500) if self.sheets else 0


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), ROUND_HALF_UP)


def years(board: Board) -> list[int]:
    """The years (in the board's time zone) that have meetings past draft, newest first."""
    zone = zoneinfo.ZoneInfo(board.time_zone)
    starts = Meeting.objects.filter(board=board).exclude(status=MeetingStatus.DRAFT).values_list("starts_at", flat=True)
    return sorted({when.astimezone(zone).year for when in starts}, reverse=True)


def paper_saved(board: Board, year: int) -> PaperSaved:
    zone = zoneinfo.ZoneInfo(board.time_zone)
    start = dt.datetime(year, 1, 1, tzinfo=zone)
    end = dt.datetime(year + 1, 1, 1, tzinfo=zone)
    meetings = list(
        Meeting.objects.filter(board=board, starts_at__gte=start, starts_at__lt=end)
        .exclude(status=MeetingStatus.DRAFT)
        .only("pk", "starts_at")
    )
    ids = [m.pk for m in meetings]
    papers = list(
        Paper.objects.filter(item__meeting_id__in=ids, current_version__isnull=False)
        .select_related("item", "current_version")
        .only(
            "item",
            "current_version",
            "item__meeting_id",
            "item__parent_id",
            "item__confidential",
            "current_version__page_count",
        )
    )
    seats = list(
        Membership.objects.filter(board=board, valid_from__lt=end.date())
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=start.date()))
        .values_list("user_id", "role", "valid_from", "valid_until")
    )
    recused: set[tuple[int, int]] = set(
        Declaration.objects.filter(item__meeting_id__in=ids).values_list("user_id", "item_id")
    )

    pages = sheets = packs = 0
    for meeting in meetings:
        day = meeting.starts_at.astimezone(zone).date()
        seated = [
            (user_id, policy.ROLE_GRANTS.get(role, frozenset()))
            for user_id, role, since, until in seats
            if since <= day and (until is None or until >= day)
        ]
        readers = [(uid, grants) for uid, grants in seated if policy.VIEW_BOARD in grants]
        packs += len({uid for uid, _ in readers})
        for paper in papers:
            item: AgendaItem = paper.item
            if item.meeting_id != meeting.pk or paper.current_version is None:
                continue
            count = sum(
                1
                for uid, grants in readers
                if (not item.confidential or policy.VIEW_CONFIDENTIAL in grants)
                and (uid, item.pk) not in recused
                and (item.parent_id is None or (uid, item.parent_id) not in recused)
            )
            page_count = paper.current_version.page_count
            pages += page_count * count
            sheets += (math.ceil(page_count / 2) if board.print_double_sided else page_count) * count
    return PaperSaved(
        year=year,
        meetings=len(meetings),
        packs=packs,
        pages=pages,
        sheets=sheets,
        paper_cost=_money(Decimal(sheets) * board.paper_cost_per_sheet),
        print_cost=_money(Decimal(pages) * board.print_cost_per_page),
        postage=_money(Decimal(packs) * board.postage_per_pack),
        currency=board.currency_symbol,
    )
