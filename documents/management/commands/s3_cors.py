"""Let the tablet reader fetch papers from the S3 bucket by range: set the bucket's CORS rule."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser

# What the reader needs to see of a ranged answer (PDF.js reads these to fetch by parts).
EXPOSED = ["Accept-Ranges", "Content-Range", "Content-Length", "ETag"]


def site_origins() -> list[str]:
    """The origins the site is served from: BOARDROOM_SITE_URL and the trusted CSRF origins."""
    origins = []
    for url in [getattr(settings, "BOARDROOM_SITE_URL", ""), *getattr(settings, "CSRF_TRUSTED_ORIGINS", [])]:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(origins))


def cors_rules(origins: list[str]) -> dict[str, Any]:
    return {
        "CORSRules": [
            {
                "AllowedOrigins": origins,
                "AllowedMethods": ["GET", "HEAD"],
                "AllowedHeaders": ["Range", "If-Range", "If-None-Match", "If-Modified-Since"],
                "ExposeHeaders": EXPOSED,
                "MaxAgeSeconds": 3600,
            }
        ]
    }


class Command(BaseCommand):
    help = "Set the S3 bucket's CORS rule so that the reader can fetch papers by range from the site's origin."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--origin", action="append", default=[], help="An origin to allow (repeatable)")

    def handle(self, *args: Any, **options: Any) -> None:
        bucket = getattr(default_storage, "bucket", None)
        if bucket is None:
            raise CommandError("Files are not on S3 (S3_BUCKET is not set): nothing to configure.")
        origins = sorted(set(options["origin"]) | set(site_origins()))
        if not origins:
            raise CommandError("No origin to allow: set BOARDROOM_SITE_URL or pass --origin https://board.example.org")
        bucket.meta.client.put_bucket_cors(Bucket=bucket.name, CORSConfiguration=cors_rules(origins))
        self.stdout.write(f"CORS set on bucket {bucket.name} for {', '.join(origins)}")
