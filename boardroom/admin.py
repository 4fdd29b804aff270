"""The Django admin is for setting boards up: boards, seats, people, and the sign-in log.

It shows no board business beyond what the permission policy lets the signed-in person see
in the portal (README.md, "The admin"). Meetings, agenda items, papers and resolutions appear
read-only and narrowed by the policy, so a platform administrator who sits on no board sees
none of them: no Part B titles, no resolution texts, no draft meetings. Changes to them go
through the portal, where the policy, the audit log and the live meeting apply.
"""

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from . import policy
from .models import AuditEvent
from .policy import Action


class PolicyScopedAdmin(admin.ModelAdmin):
    """Board content: only the rows the policy lets this person see, and never edited here."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return policy.visible(request.user, super().get_queryset(request))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows shown inside a policy-scoped page, never edited here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PolicyScopedInline(ReadOnlyInline):
    """Inline rows the policy has rules for (agenda items, papers), narrowed by it too."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return policy.visible(request.user, super().get_queryset(request))


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is appended by the product and never edited.

    Entries about a board (their details can name Part B papers) are shown only to those who
    manage that board; everyone with access to this page sees the entries tied to no board
    (sign-ins, lock-outs, refusals)."""

    list_display = ["at", "actor_label", "action", "object_type", "object_id", "board_id", "ip"]
    list_filter = ["action"]
    search_fields = ["actor_label", "action", "object_id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        from meetings.models import Board

        managed = [
            b.pk
            for b in policy.visible(request.user, Board.objects.all())
            if policy.can(request.user, Action.MANAGE, b)
        ]
        return super().get_queryset(request).filter(Q(board_id__isnull=True) | Q(board_id__in=managed))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
