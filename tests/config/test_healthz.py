"""/healthz: the database, the broker and the last full reconciliation, with the status
code a load balancer (and, with ?strict=1, a monitor) acts on."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from donations.models import ReconciliationRun, RunStatus

UNREACHABLE_BROKER = {
    "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
    "CELERY_TASK_ALWAYS_EAGER": False,
}
NO_BROKER = {"CELERY_BROKER_URL": "", "CELERY_TASK_ALWAYS_EAGER": True}

pytestmark = pytest.mark.django_db


def reconciled(*, hours_ago: float, kind: str = "all", status: str = RunStatus.SUCCEEDED):
    finished = timezone.now() - dt.timedelta(hours=hours_ago)
    run = ReconciliationRun.objects.create(kind=kind, status=status, finished_at=finished)
    # started_at is set on insert; put it where the run really started.
    ReconciliationRun.objects.filter(pk=run.pk).update(
        started_at=finished - dt.timedelta(minutes=3)
    )
    return finished


def healthz(query: str = ""):
    response = Client().get(f"/healthz{query}")
    return response.status_code, response.json()


@override_settings(**NO_BROKER)
def test_all_is_well_after_a_recent_reconciliation():
    finished = reconciled(hours_ago=5)

    code, body = healthz()

    assert code == 200
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["broker"] == "in-process"
    assert body["reconciliation"]["ok"] is True
    assert body["reconciliation"]["last_success"] == finished.isoformat()
    assert 5 * 3600 - 5 <= body["reconciliation"]["age_seconds"] <= 5 * 3600 + 5


@pytest.mark.parametrize(("query", "expected_code"), [("", 200), ("?strict=1", 503)])
@override_settings(**NO_BROKER)
def test_a_late_reconciliation_is_degraded_in_service_but_not_to_strict_monitoring(
    query, expected_code
):
    reconciled(hours_ago=60)

    code, body = healthz(query)

    assert code == expected_code
    assert body["status"] == "degraded"
    assert body["reconciliation"]["ok"] is False


@override_settings(**NO_BROKER, RECONCILIATION_MAX_AGE_SECONDS=3600)
def test_the_allowed_age_is_a_setting():
    reconciled(hours_ago=2)

    assert healthz()[1]["status"] == "degraded"


@override_settings(**NO_BROKER)
def test_never_reconciled_is_degraded():
    code, body = healthz()

    assert code == 200
    assert body["status"] == "degraded"
    assert body["reconciliation"] == {"last_success": None, "age_seconds": None, "ok": False}


@override_settings(**NO_BROKER)
def test_only_a_successful_complete_run_counts():
    reconciled(hours_ago=1, kind="sync")
    reconciled(hours_ago=1, status=RunStatus.FAILED)
    older = reconciled(hours_ago=70)

    body = healthz()[1]

    assert body["reconciliation"]["last_success"] == older.isoformat()
    assert body["status"] == "degraded"


@override_settings(**UNREACHABLE_BROKER)
def test_an_unreachable_broker_takes_the_node_out_of_service():
    reconciled(hours_ago=1)

    code, body = healthz()

    assert code == 503
    assert body["status"] == "error"
    assert body["broker"] == "down"
    assert body["database"] == "ok"


@override_settings(**NO_BROKER)
def test_a_database_that_does_not_answer_takes_the_node_out_of_service():
    with mock.patch.object(connection, "cursor", side_effect=RuntimeError("connection refused")):
        code, body = healthz()

    assert code == 503
    assert body["status"] == "error"
    assert body["database"] == "down"
    assert body["reconciliation"]["ok"] is False


@override_settings(**UNREACHABLE_BROKER)
def test_the_answer_names_no_hosts_or_errors():
    body = Client().get("/healthz").content.decode()

    assert "127.0.0.1" not in body
    assert "refused" not in body.lower()


@override_settings(**NO_BROKER)
def test_the_answer_is_never_cached():
    response = Client().get("/healthz")

    assert "no-cache" in response["Cache-Control"]


@pytest.mark.redis
def test_a_live_redis_broker_answers(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    reconciled(hours_ago=1)

    code, body = healthz()

    assert code == 200
    assert body["broker"] == "ok"
    assert body["status"] == "ok"


@override_settings(**NO_BROKER)
def test_healthz_reads_the_runs_in_one_query(django_assert_max_num_queries):
    reconciled(hours_ago=1)

    with django_assert_max_num_queries(2):  # SELECT 1, and the newest successful run
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["reconciliation"]["ok"] is True


def test_liveness_answers_without_touching_the_database(db, client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz/live")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]
