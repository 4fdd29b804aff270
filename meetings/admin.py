from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from guardian.admin import GuardedModelAdmin

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


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    extra = 0
    fields = ["parent", "position", "number", "title", "purpose", "duration_minutes", "confidential"]
    readonly_fields = ["number"]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["title", "board", "starts_at", "status"]
    list_filter = ["board", "status"]
    date_hierarchy = "starts_at"
    inlines = [AgendaItemInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        services.agenda_renumber(meeting=form.instance)


@admin.register(AgendaItem)
class AgendaItemAdmin(admin.ModelAdmin):
    list_display = ["__str__", "meeting", "purpose", "confidential"]
    list_filter = ["meeting__board", "purpose", "confidential"]
    search_fields = ["title"]

    def save_model(self, request: HttpRequest, obj: AgendaItem, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        services.agenda_renumber(meeting=obj.meeting)


class ResolutionVoterInline(admin.TabularInline):
    model = ResolutionVoter
    extra = 0
    can_delete = False
    fields = ["name", "user", "choice", "voted_at", "interest", "declared_at"]
    readonly_fields = ["name", "user", "choice", "voted_at", "interest", "declared_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Resolution)
class ResolutionAdmin(admin.ModelAdmin):
    """Read-only: resolutions are drafted, circulated and decided in the portal, where the policy and audit apply."""

    list_display = ["title", "board", "status", "deadline", "decided_at"]
    list_filter = ["board", "status"]
    search_fields = ["title"]
    inlines = [ResolutionVoterInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
