"""/healthz: the database, the broker and the last full reconciliation, with the status
code a load balancer (and, with ?strict=1, a monitor) acts on. The public learns only up or
down; the details go to staff and to a monitor holding HEALTHZ_TOKEN."""

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
TOKEN = "monitoring-token-0123456789abcdefghijkl"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _monitoring_token(settings):
    settings.HEALTHZ_TOKEN = TOKEN


def reconciled(*, hours_ago: float, kind: str = "all", status: str = RunStatus.SUCCEEDED):
    finished = timezone.now() - dt.timedelta(hours=hours_ago)
    run = ReconciliationRun.objects.create(kind=kind, status=status, finished_at=finished)
    # started_at is set on insert; put it where the run really started.
    ReconciliationRun.objects.filter(pk=run.pk).update(
        started_at=finished - dt.timedelta(minutes=3)
    )
    return finished


def healthz(query: str = "", *, client=None, token: str | None = TOKEN):
    """What a monitor holding the token gets (token=None: what the public gets)."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    response = (client or Client()).get(f"/healthz{query}", headers=headers)
    return response.status_code, response.json()


def public(query: str = ""):
    return healthz(query, token=None)


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
    headers = {"Authorization": f"Bearer {TOKEN}"}
    body = Client().get("/healthz", headers=headers).content.decode()

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
        response = Client().get("/healthz", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.json()["reconciliation"]["ok"] is True


# What the public gets ------------------------------------------------------------------


@pytest.mark.parametrize("hours_ago", [1, 60])
@pytest.mark.parametrize("query", ["", "?strict=1"])
@override_settings(**NO_BROKER)
def test_the_public_learns_only_that_the_node_is_up(hours_ago, query):
    reconciled(hours_ago=hours_ago)

    assert public(query) == (200, {"status": "ok"})


@override_settings(**UNREACHABLE_BROKER)
def test_the_public_learns_that_the_node_is_down_and_nothing_more():
    reconciled(hours_ago=1)

    assert public() == (503, {"status": "down"})


@override_settings(**NO_BROKER)
def test_the_public_learns_a_database_outage_only_as_down():
    with mock.patch.object(connection, "cursor", side_effect=RuntimeError("connection refused")):
        assert public() == (503, {"status": "down"})


@override_settings(**NO_BROKER)
def test_the_public_probe_reads_nothing_but_select_1(django_assert_num_queries):
    reconciled(hours_ago=1)

    with django_assert_num_queries(1):
        response = Client().get("/healthz")
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    "header",
    [
        "Bearer wrong-token-0123456789abcdefghijklmnop",
        f"Bearer {TOKEN[:-1]}",
        f"Basic {TOKEN}",
        TOKEN,
        "Bearer ",
    ],
)
@override_settings(**NO_BROKER)
def test_a_wrong_token_gets_the_public_answer(header):
    reconciled(hours_ago=1)

    response = Client().get("/healthz", headers={"Authorization": header})

    assert response.json() == {"status": "ok"}


@override_settings(**NO_BROKER, HEALTHZ_TOKEN="")
def test_without_a_configured_token_no_token_opens_the_details():
    reconciled(hours_ago=1)

    assert healthz(token="") == (200, {"status": "ok"})
    assert healthz(token=TOKEN) == (200, {"status": "ok"})


@override_settings(**NO_BROKER)
def test_the_token_is_also_read_with_a_lowercase_scheme():
    reconciled(hours_ago=1)

    response = Client().get("/healthz", headers={"Authorization": f"bearer {TOKEN}"})

    assert response.json()["database"] == "ok"


# What staff get ------------------------------------------------------------------------


@override_settings(**NO_BROKER)
def test_a_logged_in_staff_member_gets_the_details(staff_client):
    reconciled(hours_ago=60)

    code, body = healthz("?strict=1", client=staff_client("viewer"), token=None)

    assert code == 503
    assert body["status"] == "degraded"
    assert body["broker"] == "in-process"
    assert body["reconciliation"]["ok"] is False


@override_settings(**NO_BROKER)
def test_a_password_alone_or_an_account_without_a_role_gets_the_public_answer(
    staff_user, staff_client
):
    reconciled(hours_ago=1)
    password_only = Client()
    password_only.force_login(staff_user("admin"))
    no_role = staff_client()  # both factors, no role

    assert healthz(client=password_only, token=None) == (200, {"status": "ok"})
    assert healthz(client=no_role, token=None) == (200, {"status": "ok"})


def test_liveness_answers_without_touching_the_database(db, client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz/live")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]
