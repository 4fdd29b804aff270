import json
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser

from boardroom import audit
from boardroom.models import AuditEvent


class Command(BaseCommand):
    help = (
        "Check the audit log's hash chain and keyed seals and name the first broken link; "
        "with --against, also check that the log still holds a head exported by audit_anchor."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--against",
            metavar="FILE",
            help="an anchor written by audit_anchor: a local file, or storage:<name> for one kept in file storage",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        exported = _load(options["against"]) if options["against"] else None
        broken = audit.verify()
        if broken is None and exported is not None:
            broken = audit.check_anchor(exported)
        if broken is not None:
            where = f"entry {broken.entry_id}" if broken.entry_id else "the end of the log"
            raise CommandError(f"Audit chain broken at {where}: {broken.reason}.")
        count = AuditEvent.objects.count()
        against = f", and the head of {exported['at']} (entry {exported['seq']}) holds" if exported else ""
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {count} entries verified{against}."))


def _load(where: str) -> dict[str, Any]:
    try:
        if where.startswith("storage:"):
            with default_storage.open(where.removeprefix("storage:"), "rb") as handle:
                raw = handle.read()
        else:
            raw = Path(where).read_bytes()
        data = json.loads(raw)
    except (OSError, ValueError) as error:
        raise CommandError(f"Cannot read the anchor {where}: {error}") from None
    if not isinstance(data, dict):
        raise CommandError(f"{where} is not an audit anchor.")
    return data
