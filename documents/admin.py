from django.contrib import admin

from boardroom.admin import PolicyScopedAdmin, PolicyScopedInline

from .models import Paper, PaperVersion


class PaperVersionInline(PolicyScopedInline):
    model = PaperVersion
    fields = readonly_fields = (
        "number",
        "original_name",
        "page_count",
        "size",
        "sha256",
        "note",
        "uploaded_by",
        "uploaded_at",
    )


@admin.register(Paper)
class PaperAdmin(PolicyScopedAdmin):
    """Read-only, and only the papers the policy shows this person (never Part B to those who may
    not see it). Papers are uploaded, replaced and removed in the portal's agenda builder, which
    checks and fingerprints every file."""

    list_display = ["title", "item", "position", "current_version"]
    search_fields = ["title"]
    inlines = [PaperVersionInline]


@admin.register(PaperVersion)
class PaperVersionAdmin(PolicyScopedAdmin):
    list_display = ["paper", "number", "page_count", "size", "uploaded_at"]
    fields = readonly_fields = (
        "paper",
        "number",
        "original_name",
        "content_type",
        "size",
        "sha256",
        "page_count",
        "uploaded_by",
        "uploaded_at",
    )
