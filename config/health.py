"""What ``/healthz`` reports: the database, the Celery broker, and how long ago the books
were last fully reconciled with Stripe.

The public (a load balancer) learns only whether the node is up: ``{"status": "ok"}`` or
``{"status": "down"}``, 200 or 503. The details go to a logged-in staff member (the staff
pages' own check, ``ledger.staff.access``) and to a monitor sending
``Authorization: Bearer <HEALTHZ_TOKEN>``.

Load balancers call it every few seconds, so each probe is cheap: one ``SELECT 1`` and one
Redis ``PING`` on a pooled connection with a short timeout; the details add one indexed
read of the newest successful reconciliation run. See docs/operating.md, "Monitoring".
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
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
from ledger.exceptions import NotPermitted
from ledger.staff.access import staff_access_refusal
from ledger.staff.roles import Capability

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


def health_report(*, strict: bool = False, details: bool = True) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body). 503 when the database or the broker is down; a late
    reconciliation only makes the body say ``degraded`` (503 too when ``strict``), because a
    load balancer should not take a web node out of service for it. Without ``details``,
    only ``ok`` or ``down``: reconciliation is not read, and ``strict`` does not apply."""
    database = database_status()
    broker = broker_status()
    if not details:
        if "down" in (database, broker):
            return 503, {"status": "down"}
        return 200, {"status": "ok"}
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


def details_allowed(request) -> bool:
    """The request carries the monitoring token, or comes from a logged-in staff member
    who may read the reports."""
    token = settings.HEALTHZ_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    offered = scheme.lower() == "bearer" and given.strip()
    if token and offered and hmac.compare_digest(offered.encode(), token.encode()):
        return True
    if not request.user.is_authenticated:
        return False
    try:
        return staff_access_refusal(request, Capability.VIEW_REPORTS) is None
    except NotPermitted:
        return False


@never_cache
def healthz(request):
    """For load balancers and monitoring (this module): the database and the broker answer,
    and, in the details, the last complete reconciliation is recent. ``?strict=1`` with the
    details: a late one is a 503."""
    details = details_allowed(request)
    strict = details and request.GET.get("strict") == "1"
    code, body = health_report(strict=strict, details=details)
    return JsonResponse(body, status=code)
