from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from guardian.admin import GuardedModelAdmin

from boardroom.admin import PolicyScopedAdmin, PolicyScopedInline, ReadOnlyInline

from . import services
from .models import AgendaItem, Board, Meeting, Membership, Resolution, ResolutionVoter


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "title", "valid_from", "valid_until"]
    autocomplete_fields = ["user"]


@admin.register(Board)
class BoardAdmin(GuardedModelAdmin):
    list_display = ["name", "organisation", "slug"]
    search_fields = ["name", "organisation"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        # Seats edited inline: bring each person's guardian grants in line with their terms.
        users = {f.instance.user for f in formset.forms if getattr(f.instance, "user_id", None)}
        users |= {obj.user for obj in formset.deleted_objects}
        for user in users:
            services.membership_sync_grants(user=user, board=form.instance)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "board", "role", "title", "valid_from", "valid_until"]
    list_filter = ["board", "role"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "board__name"]
    autocomplete_fields = ["user"]

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        services.membership_sync_grants(user=obj.user, board=obj.board)

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        user, board = obj.user, obj.board
        super().delete_model(request, obj)
        services.membership_sync_grants(user=user, board=board)


class AgendaItemInline(PolicyScopedInline):
    model = AgendaItem
    fields = readonly_fields = ("number", "title", "purpose", "duration_minutes", "confidential")


@admin.register(Meeting)
class MeetingAdmin(PolicyScopedAdmin):
    """Read-only, and only the meetings (and items) the policy shows this person: drafts are
    for those who prepare them. Meetings are built and run in the portal."""

    list_display = ["title", "board", "starts_at", "status"]
    list_filter = ["board", "status"]
    date_hierarchy = "starts_at"
    inlines = [AgendaItemInline]


@admin.register(AgendaItem)
class AgendaItemAdmin(PolicyScopedAdmin):
    """Read-only; Part B items and items someone is recused from are shown only as the policy allows."""

    list_display = ["__str__", "meeting", "purpose", "confidential"]
    list_filter = ["meeting__board", "purpose", "confidential"]
    search_fields = ["title"]


class ResolutionVoterInline(ReadOnlyInline):
    """The voters of a resolution the page already showed through the policy."""

    model = ResolutionVoter
    fields = readonly_fields = ("name", "user", "choice", "voted_at", "interest", "declared_at")


@admin.register(Resolution)
class ResolutionAdmin(PolicyScopedAdmin):
    """Read-only: resolutions are drafted, circulated and decided in the portal, where the policy
    and audit apply. Drafts and confidential resolutions are shown only as the policy allows."""

    list_display = ["title", "board", "status", "deadline", "decided_at"]
    list_filter = ["board", "status"]
    search_fields = ["title"]
    inlines = [ResolutionVoterInline]
