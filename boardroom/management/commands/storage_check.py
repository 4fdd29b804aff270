"""Check (and with --create, set up) where Boardroom keeps its files.

On S3: the bucket answers and may be written, read and deleted; its CORS rule lets the reader
fetch papers by range from the site's origins (the rule ``manage.py s3_cors`` sets); a lifecycle
rule removes the parts of multipart uploads left unfinished when the store went away mid-upload.
Embedded: the files folder exists and is writable. README, "Running in production".
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser

from documents.management.commands.s3_cors import cors_rules, site_origins

LIFECYCLE_ID = "boardroom-abort-unfinished-uploads"
UNFINISHED_UPLOAD_DAYS = 1
PROBE_PREFIX = "storage-check/"


class Command(BaseCommand):
    help = (
        "Check the file store (S3 bucket or folder); --create makes the bucket and sets its CORS and lifecycle rules."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--create", action="store_true", help="Create the bucket and set its rules if missing")
        parser.add_argument("--origin", action="append", default=[], help="An origin the reader is served from")

    def handle(self, *args: Any, **options: Any) -> None:
        if not hasattr(default_storage, "bucket_name"):
            self._check_folder(create=options["create"])
        else:
            self._check_bucket(create=options["create"], origins=sorted(set(options["origin"]) | set(site_origins())))
        self._round_trip()
        self.stdout.write(self.style.SUCCESS("Storage OK"))

    def _check_folder(self, *, create: bool) -> None:
        folder = Path(getattr(default_storage, "location", ""))
        if not folder.is_dir():
            if not create:
                raise CommandError(f"The files folder {folder} does not exist: run with --create to make it.")
            folder.mkdir(parents=True, exist_ok=True)
        self.stdout.write(f"Files are kept on disk in {folder}")

    def _check_bucket(self, *, create: bool, origins: list[str]) -> None:
        client = default_storage.connection.meta.client  # type: ignore[attr-defined]
        bucket: str = default_storage.bucket_name  # type: ignore[attr-defined]
        where = default_storage.endpoint_url or "AWS"  # type: ignore[attr-defined]
        self.stdout.write(f"Bucket {bucket} on {where}; links last {settings.S3_LINK_SECONDS} s")
        try:
            client.head_bucket(Bucket=bucket)
        except ClientError as error:
            if _status(error) != 404:
                raise CommandError(f"Bucket {bucket} cannot be reached: {_reason(error)}") from None
            if not create:
                raise CommandError(f"Bucket {bucket} does not exist: run with --create to make it.") from None
            region = default_storage.region_name  # type: ignore[attr-defined]
            extra = (
                {}
                if region in ("", None, "us-east-1")
                else {"CreateBucketConfiguration": {"LocationConstraint": region}}
            )
            client.create_bucket(Bucket=bucket, **extra)
            self.stdout.write(f"Created bucket {bucket}")

        wanted = cors_rules(origins)["CORSRules"] if origins else []
        try:
            current = client.get_bucket_cors(Bucket=bucket).get("CORSRules", [])
        except ClientError as error:
            if _status(error) != 404:
                raise CommandError(f"Cannot read the bucket's CORS rule: {_reason(error)}") from None
            current = []
        if not origins:
            self.stdout.write(
                self.style.WARNING("No site origin known (BOARDROOM_SITE_URL, --origin): CORS not checked")
            )
        elif _same_cors(current, wanted):
            self.stdout.write(f"CORS allows {', '.join(origins)}")
        elif create:
            client.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": wanted})
            self.stdout.write(f"CORS set for {', '.join(origins)}")
        else:
            raise CommandError(f"The bucket's CORS rule does not allow {', '.join(origins)}: run with --create.")

        if self._has_lifecycle(client, bucket):
            self.stdout.write(f"Unfinished uploads are removed after {UNFINISHED_UPLOAD_DAYS} day")
        elif create:
            client.put_bucket_lifecycle_configuration(
                Bucket=bucket,
                LifecycleConfiguration={
                    "Rules": [
                        {
                            "ID": LIFECYCLE_ID,
                            "Status": "Enabled",
                            "Filter": {"Prefix": ""},
                            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": UNFINISHED_UPLOAD_DAYS},
                        }
                    ]
                },
            )
            self.stdout.write(f"Lifecycle rule set: unfinished uploads removed after {UNFINISHED_UPLOAD_DAYS} day")
        else:
            self.stdout.write(self.style.WARNING("No rule removes unfinished uploads: run with --create to add one"))
        unfinished = client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        self.stdout.write(f"Unfinished multipart uploads: {len(unfinished)}")

    def _has_lifecycle(self, client: Any, bucket: str) -> bool:
        try:
            rules = client.get_bucket_lifecycle_configuration(Bucket=bucket).get("Rules", [])
        except ClientError as error:
            if _status(error) != 404:
                raise CommandError(f"Cannot read the bucket's lifecycle rules: {_reason(error)}") from None
            return False
        return any(rule.get("Status") == "Enabled" and "AbortIncompleteMultipartUpload" in rule for rule in rules)

    def _round_trip(self) -> None:
        """Write, read back and delete a small object under a key of its own."""
        data = uuid.uuid4().bytes
        try:
            name = default_storage.save(f"{PROBE_PREFIX}{uuid.uuid4().hex}", ContentFile(data))
        except Exception as error:
            raise CommandError(f"Cannot write to the file store: {error}") from None
        try:
            with default_storage.open(name, "rb") as stored:
                if stored.read() != data:
                    raise CommandError("The file store returned different bytes from those written.")
        finally:
            default_storage.delete(name)
        self.stdout.write("Wrote, read back and deleted a test file")


def _status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def _reason(error: ClientError) -> str:
    details = error.response.get("Error", {})
    return f"{details.get('Code', '')} {details.get('Message', '')}".strip() or str(error)


def _same_cors(current: list[dict[str, Any]], wanted: list[dict[str, Any]]) -> bool:
    def norm(rules: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return sorted(
            (
                tuple(sorted(r.get("AllowedOrigins", []))),
                tuple(sorted(r.get("AllowedMethods", []))),
                tuple(sorted(r.get("AllowedHeaders", []))),
                tuple(sorted(r.get("ExposeHeaders", []))),
            )
            for r in rules
        )

    return norm(current) == norm(wanted)
