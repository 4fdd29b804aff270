"""Cross-cutting views: liveness and readiness checks, and the error pages."""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache

# Each readiness check gets this long (README.md, "Health checks").
CHECK_SECONDS = 2.0


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Touches no service (a database outage must not make a
    supervisor restart every web process); the page benchmarks use it as their baseline."""
    return HttpResponse("ok", content_type="text/plain")


def _check_database() -> str:
    connection = connections["default"]
    pool = getattr(connection, "pool", None)
    if pool is not None:
        # Through the process's pool: a free connection, checked before it is handed out.
        pool.open(wait=False)
        with pool.connection(timeout=CHECK_SECONDS) as conn:
            conn.execute("SELECT 1")
        return "ok"
    if connection.vendor == "postgresql":
        import psycopg

        params = connection.get_connection_params()
        for key in ("cursor_factory", "context", "prepare_threshold"):
            params.pop(key, None)
        with psycopg.connect(**params, connect_timeout=max(1, int(CHECK_SECONDS))) as conn:
            conn.execute("SELECT 1")
        return "ok"
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()  # this thread's connection: not left open behind the probe
    return "ok"


@functools.cache
def _redis_client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=CHECK_SECONDS, socket_timeout=CHECK_SECONDS)


def _check_channel_layer() -> str:
    url = getattr(settings, "LIVE_FANOUT_URL", "")
    if not url:
        return "in-memory"  # one process, nothing to reach
    _redis_client(url).ping()
    return "ok"


@functools.cache
def _s3_client(endpoint: str | None, key: str | None, secret: str | None, region: str | None) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=CHECK_SECONDS,
        read_timeout=CHECK_SECONDS,
        retries={"max_attempts": 1, "mode": "standard"},
        s3={"addressing_style": "path"},
        signature_version="s3v4",
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        region_name=region,
        config=config,
    )


def _check_storage() -> str:
    storage: Any = default_storage
    if isinstance(storage, FileSystemStorage):
        folder = Path(storage.location)
        folder.mkdir(parents=True, exist_ok=True)  # as the first upload would
        if not os.access(folder, os.W_OK | os.X_OK):
            raise PermissionError("the files folder is not writable")
        return "ok"
    client = _s3_client(
        getattr(storage, "endpoint_url", None),
        getattr(storage, "access_key", None),
        getattr(storage, "secret_key", None),
        getattr(storage, "region_name", None),
    )
    client.head_bucket(Bucket=storage.bucket_name)
    return "ok"


READY_CHECKS: dict[str, Callable[[], str]] = {
    "database": _check_database,
    "channel_layer": _check_channel_layer,
    "storage": _check_storage,
}


def _timed(check: Callable[[], str]) -> dict[str, Any]:
    started = time.monotonic()
    try:
        status = check()
    except Exception as exc:  # noqa: BLE001 — any failure means "not ready"; its class says which
        return {"ok": False, "error": type(exc).__name__, "ms": round(1000 * (time.monotonic() - started))}
    return {"ok": True, "status": status, "ms": round(1000 * (time.monotonic() - started))}


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness, for load balancers: the database, the channel layer (Redis) and the file storage
    answer, each within CHECK_SECONDS (checked side by side). 200 with each check's outcome, or
    503 when any of them failed. Error classes only: no host, key or message reaches the answer."""
    pool = ThreadPoolExecutor(max_workers=len(READY_CHECKS), thread_name_prefix="readyz")
    try:
        futures = {name: pool.submit(_timed, check) for name, check in READY_CHECKS.items()}
        deadline = time.monotonic() + CHECK_SECONDS + 0.5
        results: dict[str, dict[str, Any]] = {}
        for name, future in futures.items():
            try:
                results[name] = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except FuturesTimeout:
                results[name] = {"ok": False, "error": "timeout", "ms": round(1000 * CHECK_SECONDS)}
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    ready = all(result["ok"] for result in results.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": results}, status=200 if ready else 503)


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "error.html", {"title": title, "message": message, "status": status}, status=status)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request,
        404,
        "Not found",
        "There is nothing here, or it is not shared with you. Check the link, or go back to your boards.",
    )


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, "Not allowed", "You can see this, but your role does not let you do that.")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, "Bad request", "The request could not be understood. Go back and try again.")


def _database_busy() -> bool:
    """The error being handled is a request that waited BOARDROOM_DB_POOL_TIMEOUT seconds for a
    pooled database connection and got none: the process is overloaded, not broken."""
    try:
        from psycopg_pool import PoolTimeout
    except ImportError:
        return False
    error: BaseException | None = sys.exc_info()[1]
    for _depth in range(5):
        if error is None:
            return False
        if isinstance(error, PoolTimeout):
            return True
        error = error.__cause__ or error.__context__
    return False


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without the request: the failure may be in the session, the database or a
    # context processor, and the error page must not fail the same way.
    if _database_busy():
        body = loader.render_to_string(
            "error.html",
            {
                "title": "Boardroom is busy",
                "message": "Too many requests at once: please try again in a few seconds.",
                "status": 503,
            },
        )
        busy = HttpResponse(body, status=503)
        busy["Retry-After"] = "5"
        return busy
    body = loader.render_to_string(
        "error.html",
        {
            "title": "Something went wrong",
            "message": "The error was logged. Please try again in a moment.",
            "status": 500,
        },
    )
    return HttpResponse(body, status=500)
