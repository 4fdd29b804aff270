"""Django core settings: apps, middleware, templates, security, sessions."""

import secrets

from .env import BASE_DIR, DATA_DIR, env_bool, env_int, env_list, env_str


def _secret_key() -> str:
    """Read the key from BOARDROOM_SECRET_KEY, or keep a generated one in the data folder."""
    configured = env_str("BOARDROOM_SECRET_KEY")
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("BOARDROOM_DEBUG", False)
ALLOWED_HOSTS = env_list("BOARDROOM_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("BOARDROOM_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "guardian",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "boardroom",
    "meetings",
    "documents",
    "public",
    "minutes",
    "search",
    "interests",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Date, Cache-Control: private for signed-in pages, noindex outside the public site.
    "boardroom.headers.StandardHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Sign-out everywhere, idle and absolute session limits, and two-factor enforcement.
    "boardroom.middleware.SessionGuardMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, so it sees the outcome of every authentication attempt.
    "axes.middleware.AxesMiddleware",
    # The object store away: a 503 "try again" page instead of a 500 (boardroom/storage_errors.py).
    "boardroom.storage_errors.StorageUnavailableMiddleware",
]

ROOT_URLCONF = "boardroom.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "boardroom.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "builtins": ["boardroom.templatetags.machine"],
        },
    },
]

AUTHENTICATION_BACKENDS = [
    # Refuses locked-out sign-ins before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Guardian stores grants; boardroom.policy decides. No anonymous user row is needed.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("BOARDROOM_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Vendored front-end libraries come from npm at build time; when they are absent
# (a checkout before `npm ci`) the app still starts.
_VENDOR = {
    "vendor/htmx": BASE_DIR / "node_modules" / "htmx.org" / "dist",
    "vendor/pdfjs": BASE_DIR / "node_modules" / "pdfjs-dist" / "build",
    "vendor/pdfjs-web": BASE_DIR / "node_modules" / "pdfjs-dist" / "web",
    "vendor/pdfjs-fonts": BASE_DIR / "node_modules" / "pdfjs-dist" / "standard_fonts",
    "vendor/pdfjs-cmaps": BASE_DIR / "node_modules" / "pdfjs-dist" / "cmaps",
    "vendor/pdfjs-wasm": BASE_DIR / "node_modules" / "pdfjs-dist" / "wasm",
    "vendor/pdfjs-iccs": BASE_DIR / "node_modules" / "pdfjs-dist" / "iccs",
}
STATICFILES_DIRS: list[object] = [BASE_DIR / "static"]
STATICFILES_DIRS += [(prefix, path) for prefix, path in _VENDOR.items() if path.exists()]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("BOARDROOM_SESSION_MAX_AGE", 12 * 60 * 60)
SESSION_COOKIE_SECURE = env_bool("BOARDROOM_SECURE_COOKIES", not DEBUG and env_bool("BOARDROOM_HTTPS"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("BOARDROOM_HTTPS"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = env_int("BOARDROOM_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Upload limits are enforced by Django before a body is buffered in memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("BOARDROOM_MAX_FORM_BYTES", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Uploads stream to a temporary file and stop the moment they pass the paper size limit.
FILE_UPLOAD_HANDLERS = ["boardroom.uploads.LimitedUploadHandler"]
BOARDROOM_MAX_UPLOAD_BYTES = env_int("BOARDROOM_MAX_UPLOAD_BYTES", 100 * 1024 * 1024)
BOARDROOM_MAX_UPLOAD_PAGES = env_int("BOARDROOM_MAX_UPLOAD_PAGES", 2000)
# LibreOffice and OCRmyPDF run in a bubblewrap sandbox; only an explicit "off" opts out (README.md).
BOARDROOM_CONVERTER_SANDBOX = env_str("BOARDROOM_CONVERTER_SANDBOX").lower() not in {"off", "0", "false", "no"}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("BOARDROOM_LOG_LEVEL", "INFO")},
    "loggers": {
        # Request bodies never reach the logs; 4xx noise stays at WARNING.
        "django.request": {"level": "ERROR"},
        # Lock-outs reach the audit log; django-axes' own chatter stays out of the console.
        "axes": {"level": "WARNING"},
        # WeasyPrint narrates every step of every PDF it makes.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Static files are served by WhiteNoise: from the finders until `collectstatic` has run (the
# embedded server and the tests need no such step), hashed and compressed after it (storage.py).
WHITENOISE_AUTOREFRESH = DEBUG
