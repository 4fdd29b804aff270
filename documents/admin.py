from django.contrib import admin

from .models import Paper, PaperVersion


class PaperVersionInline(admin.TabularInline):
    model = PaperVersion
    extra = 0
    fields = ("number", "original_name", "page_count", "size", "sha256", "note", "uploaded_by", "uploaded_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Versions arrive through the upload service, which checks and fingerprints the file.
        return False


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ["title", "item", "position", "current_version"]
    search_fields = ["title"]
    raw_id_fields = ["item", "current_version"]
    inlines = [PaperVersionInline]


@admin.register(PaperVersion)
class PaperVersionAdmin(admin.ModelAdmin):
    list_display = ["paper", "number", "page_count", "size", "uploaded_at"]
    readonly_fields = [
        "paper",
        "number",
        "file",
        "original",
        "original_name",
        "content_type",
        "size",
        "sha256",
        "page_count",
        "uploaded_by",
        "uploaded_at",
    ]
