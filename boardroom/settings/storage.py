"""File storage: a folder on disk by default, an S3 API bucket when S3_BUCKET is set."""

from .env import DATA_DIR, env_str

S3_BUCKET = env_str("S3_BUCKET")

_static = {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"}

if S3_BUCKET:
    STORAGES = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
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
                "querystring_expire": 300,
                "file_overwrite": False,
                "signature_version": "s3v4",
                "addressing_style": "path",
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
