"""What a live socket holds about its user, loaded and refreshed from the policy (sync code)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser, User

from boardroom import policy
from boardroom.policy import Action

from .models import AgendaItem, Audience, Meeting, MeetingEvent


@dataclass
class SocketView:
    """A socket's picture of what its user may see in one meeting.

    Each bell is checked against this without touching the database; it is rebuilt when the
    user's access changes (membership, role, declaration, agenda) and at least once a minute.
    """

    user_id: int
    meeting_id: int
    may_view: bool
    items: frozenset[int] = field(default_factory=frozenset)

    def admits(self, audience: str, item_id: int | None, user_id: int | None) -> bool:
        if not self.may_view:
            return False
        if audience == Audience.MEETING:
            return True
        if audience == Audience.ITEM:
            return item_id in self.items
        if audience == Audience.USER:
            return user_id == self.user_id
        return False


def load_view(user: User | AnonymousUser, meeting_id: int) -> SocketView | None:
    """The socket's view for ``user``, or None if they may not see the meeting at all."""
    if not isinstance(user, User) or not user.is_authenticated:
        return None
    policy.forget(user)
    meeting = Meeting.objects.filter(pk=meeting_id).first()
    if meeting is None or not policy.can(user, Action.VIEW, meeting):
        return None
    items = policy.visible(user, AgendaItem.objects.filter(meeting_id=meeting_id)).values_list("pk", flat=True)
    return SocketView(user_id=user.pk, meeting_id=meeting_id, may_view=True, items=frozenset(items))


def last_seq(meeting_id: int) -> int:
    return Meeting.objects.filter(pk=meeting_id).values_list("last_seq", flat=True).first() or 0


def events_after(meeting_id: int, after: int, limit: int = 500) -> list[MeetingEvent]:
    """Logged events after ``after``, in order (the caller filters them by its view)."""
    return list(MeetingEvent.objects.filter(meeting_id=meeting_id, seq__gt=after).order_by("seq")[:limit])
