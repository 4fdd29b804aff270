import json
import logging
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandParser

from boardroom import audit

logger = logging.getLogger("boardroom.audit")


class Command(BaseCommand):
    help = (
        "Export the audit log's head (newest entry, count, hash, seal, time), signed with the audit key, "
        "to the log and to file storage, so `audit_verify --against` can later prove nothing was cut off or rewritten."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", metavar="FILE", help="also write the anchor to this local file")

    def handle(self, *args: Any, **options: Any) -> None:
        head = audit.anchor()
        body = json.dumps(head, sort_keys=True)
        logger.info("audit anchor %s", body)
        stamp = head["at"][:19].replace(":", "").replace("-", "")
        name = default_storage.save(f"audit/anchors/{stamp}-{head['seq']}.json", ContentFile(body.encode()))
        if options["out"]:
            Path(options["out"]).write_text(body + "\n")
        self.stdout.write(f"Audit head: entry {head['seq']} of {head['count']}, stored as storage:{name}")
