"""What ``/healthz`` reports: the database, the Celery broker, and how long ago the books
were last fully reconciled with Stripe.

Load balancers call it every few seconds, so each probe is cheap: one ``SELECT 1``, one
Redis ``PING`` on a pooled connection with a short timeout, and one indexed read of the
newest successful reconciliation run. See docs/operating.md, "Monitoring".
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from redis.backoff import NoBackoff
from redis.retry import Retry

from config.celery import app
from donations.models import ReconciliationRun, RunStatus

logger = logging.getLogger(__name__)

PROBE_TIMEOUT = 0.5  # seconds, for the broker's connect and reply


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        logger.warning("health: the database did not answer", exc_info=True)
        return "down"
    return "ok"


@functools.lru_cache(maxsize=4)
def _redis_client(url: str) -> redis.Redis:
    # One client (and so one connection pool) per process: a probe reuses a connection
    # instead of opening one, and fails fast instead of retrying with backoff.
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=PROBE_TIMEOUT,
        socket_timeout=PROBE_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
        max_connections=4,
    )


def broker_status() -> str:
    """``ok``, ``down``, or ``in-process`` when no broker is configured (development)."""
    url = settings.CELERY_BROKER_URL
    if not url or settings.CELERY_TASK_ALWAYS_EAGER:
        return "in-process"
    try:
        if url.startswith(("redis://", "rediss://", "unix://")):
            _redis_client(url).ping()
        else:
            with app.connection_for_write() as broker:
                broker.ensure_connection(max_retries=1, timeout=PROBE_TIMEOUT)
    except Exception:
        logger.warning("health: the broker did not answer", exc_info=True)
        return "down"
    return "ok"


def last_reconciliation() -> dt.datetime | None:
    """When the newest complete reconciliation (kind ``all``: sync, events, payouts and the
    balance check) finished successfully. The (status, started_at) index serves it."""
    return (
        ReconciliationRun.objects.filter(status=RunStatus.SUCCEEDED, kind="all")
        .order_by("-started_at")
        .values_list("finished_at", flat=True)
        .first()
    )


def reconciliation_status(*, database_up: bool) -> dict[str, Any]:
    last_success = None
    if database_up:
        try:
            last_success = last_reconciliation()
        except Exception:
            logger.warning("health: could not read the reconciliation runs", exc_info=True)
    age = None if last_success is None else int((timezone.now() - last_success).total_seconds())
    return {
        "last_success": last_success.isoformat() if last_success else None,
        "age_seconds": age,
        "ok": age is not None and age <= settings.RECONCILIATION_MAX_AGE_SECONDS,
    }


def health_report(*, strict: bool = False) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body). 503 when the database or the broker is down; a late
    reconciliation only makes the body say ``degraded`` (503 too when ``strict``), because a
    load balancer should not take a web node out of service for it."""
    database = database_status()
    broker = broker_status()
    reconciliation = reconciliation_status(database_up=database == "ok")
    if "down" in (database, broker):
        status, code = "error", 503
    elif not reconciliation["ok"]:
        status, code = "degraded", 503 if strict else 200
    else:
        status, code = "ok", 200
    body = {
        "status": status,
        "database": database,
        "broker": broker,
        "reconciliation": reconciliation,
    }
    return code, body


@never_cache
def liveness(request):
    """The process answers; nothing else is touched. For a supervisor that restarts a hung
    process (a database outage must not restart every web process: that is /healthz)."""
    return JsonResponse({"status": "ok"})


@never_cache
def healthz(request):
    """For load balancers and monitoring (this module): the database and the broker answer,
    and the last complete reconciliation is recent. ``?strict=1``: a late one is a 503."""
    code, body = health_report(strict=request.GET.get("strict") == "1")
    return JsonResponse(body, status=code)
