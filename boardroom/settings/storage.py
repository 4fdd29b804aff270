"""File storage: a folder on disk by default, an S3 API bucket when S3_BUCKET is set."""

import sys

from .base import DEBUG, STATIC_ROOT
from .env import DATA_DIR, env_int, env_str

S3_BUCKET = env_str("S3_BUCKET")

# How long a signed link to a stored file lasts (README, "Configuration"). Every download goes
# through a view that checks the policy and hands out a fresh link, so a link only has to last
# until the browser has followed it.
S3_LINK_SECONDS = env_int("S3_LINK_SECONDS", 120)
# Seconds to open a connection to the store and to wait for each answer, and how many times in
# all a request is tried (botocore's "standard" retry mode: connection errors, throttling, 5xx).
S3_CONNECT_TIMEOUT = env_int("S3_CONNECT_TIMEOUT", 5)
S3_READ_TIMEOUT = env_int("S3_READ_TIMEOUT", 20)
S3_MAX_ATTEMPTS = env_int("S3_MAX_ATTEMPTS", 3)

# After `collectstatic` (production), static files carry hashed names and are served immutable
# (boardroom/staticstorage.py); before it (make run, make test) they come straight from the
# finders. Which one is decided by whether collectstatic has written its manifest (or is about
# to). Run collectstatic only for a production data folder: its copies are what pages then use.
STATIC_MANIFEST = not DEBUG and ((STATIC_ROOT / "staticfiles.json").exists() or "collectstatic" in sys.argv[1:2])
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
_static = {
    "BACKEND": "boardroom.staticstorage.StaticFilesStorage"
    if STATIC_MANIFEST
    else "whitenoise.storage.CompressedStaticFilesStorage"
}

if S3_BUCKET:
    STORAGES = {
        "default": {
            # django-storages' S3Storage with one boto3 client per process (boardroom/objectstore.py).
            "BACKEND": "boardroom.objectstore.S3Storage",
            "OPTIONS": {
                "bucket_name": S3_BUCKET,
                "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
                "access_key": env_str("S3_ACCESS_KEY_ID") or None,
                "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
                "region_name": env_str("S3_REGION", "us-east-1"),
                "location": env_str("S3_PREFIX"),
                # Papers are private: nothing is public-read, every URL is signed and short-lived.
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": S3_LINK_SECONDS,
                "file_overwrite": False,
                "signature_version": "s3v4",
                "addressing_style": "path",
                "connect_timeout": S3_CONNECT_TIMEOUT,
                "read_timeout": S3_READ_TIMEOUT,
                "max_attempts": S3_MAX_ATTEMPTS,
            },
        },
        "staticfiles": _static,
    }
else:
    MEDIA_ROOT = DATA_DIR / "files"
    STORAGES = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            # Never served directly: every file goes through a view that asks the policy.
            "OPTIONS": {"location": MEDIA_ROOT, "base_url": "/nonexistent/"},
        },
        "staticfiles": _static,
    }
