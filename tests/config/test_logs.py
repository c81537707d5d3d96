"""Logs: JSON lines with the request or task id, and no personal data in them."""

from __future__ import annotations

import io
import json
import logging
import uuid

import pytest
from django.test import Client, override_settings

from config.logs import JSONFormatter, PersonalDataFilter, logging_config


@pytest.fixture
def json_lines():
    """The lines the configured console handler writes, in the production (JSON) format.

    Uses the handler the project's LOGGING set up on the root logger, so the filters under
    test are the ones production runs with."""
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, PersonalDataFilter) for f in h.filters)
    )
    stream = io.StringIO()
    saved_stream, saved_formatter = handler.stream, handler.formatter
    handler.setStream(stream)
    handler.setFormatter(JSONFormatter())
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        handler.setStream(saved_stream)
        handler.setFormatter(saved_formatter)


def test_a_log_line_is_one_json_object_with_the_usual_fields(json_lines):
    logging.getLogger("donations.checkout.services").info(
        "checkout created", extra={"amount": 2500}
    )

    [line] = json_lines()
    assert line["level"] == "INFO"
    assert line["logger"] == "donations.checkout.services"
    assert line["message"] == "checkout created"
    assert line["amount"] == 2500
    assert line["request_id"] is None
    assert line["time"].endswith("+00:00")


def test_email_addresses_and_identifying_fields_never_reach_the_log(json_lines):
    logging.getLogger("donations.checkout.receipts").warning(
        "receipt to %s bounced (reply from postmaster@mail.example.net)",
        "Jane.Donor+gift@example.org",
        extra={
            "email": "jane@example.org",
            "donor_name": "Jane Donor",
            "date_of_birth": "1990-04-01",
            "docket_number": "CR-2026-001234",
            "booking_number": 884211,
            "notes": "lives with her sister",
            "details": {"name": "Jane Donor", "county": "Hennepin"},
            "donation": 42,
        },
    )

    [line] = json_lines()
    text = json.dumps(line)
    for secret in (
        "Jane.Donor+gift@example.org",
        "postmaster@mail.example.net",
        "jane@example.org",
        "Jane Donor",
        "1990-04-01",
        "CR-2026-001234",
        "884211",
        "sister",
    ):
        assert secret not in text
    assert line["message"] == "receipt to [email] bounced (reply from [email])"
    assert line["email"] == line["donor_name"] == line["docket_number"] == "[redacted]"
    assert line["details"] == {"name": "[redacted]", "county": "Hennepin"}
    assert line["donation"] == 42


def test_worker_names_and_addresses_of_servers_are_not_taken_for_email(json_lines):
    logging.getLogger("celery").info("celery@worker1 connected to redis://:**@10.0.0.5:6379/0")

    [line] = json_lines()
    assert line["message"] == "celery@worker1 connected to redis://:**@10.0.0.5:6379/0"


def test_an_exception_quoting_an_address_is_scrubbed_too(json_lines):
    try:
        raise ValueError("duplicate key (email)=(jane@example.org)")
    except ValueError:
        logging.getLogger("donations").exception("could not store the donor")

    [line] = json_lines()
    assert "jane@example.org" not in line["exc"]
    assert "(email)=([email])" in line["exc"]


def test_objects_in_extra_fields_are_left_out_rather_than_printed(json_lines):
    class Donor:
        def __repr__(self):
            return "<Donor jane@example.org>"

    logging.getLogger("donations").info("stored", extra={"donor": Donor()})

    [line] = json_lines()
    assert "donor" not in line


def test_request_id_is_on_the_response_and_on_the_lines_logged_during_the_request(json_lines, db):
    with override_settings(
        CELERY_BROKER_URL="redis://127.0.0.1:1/0", CELERY_TASK_ALWAYS_EAGER=False
    ):
        response = Client().get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a9c")

    assert response["X-Request-ID"] == "lb-7f3a9c"
    lines = json_lines()
    broker_warning = next(line for line in lines if "broker did not answer" in line["message"])
    assert broker_warning["request_id"] == "lb-7f3a9c"
    assert all(line["request_id"] == "lb-7f3a9c" for line in lines)
    logging.getLogger("ledger").info("after the response")
    assert json_lines()[-1]["request_id"] is None


def test_each_request_gets_its_own_id_when_none_is_given(db):
    client = Client()

    first = client.get("/")["X-Request-ID"]
    second = client.get("/")["X-Request-ID"]

    assert uuid.UUID(first).version == 4
    assert first != second


def test_an_unsafe_request_id_is_replaced(db):
    response = Client().get("/", HTTP_X_REQUEST_ID="<script>alert(1)</script>")

    assert uuid.UUID(response["X-Request-ID"]).version == 4


def test_the_request_line_names_the_route_not_the_path(json_lines, db):
    Client().get("/donate/monthly/stop/secret-stop-token/")

    lines = json_lines()
    [line] = [line for line in lines if line["logger"] == "bailfund.request"]
    assert line["route"] == "donate/monthly/stop/<str:token>/"
    assert line["status"] == 404
    [django_line] = [line for line in lines if line["logger"] == "django.request"]
    assert django_line["message"] == "Not Found: /donate/monthly/stop/<str:token>/"
    assert "secret-stop-token" not in json.dumps(lines)


def test_a_celery_task_logs_with_its_task_id(json_lines):
    from config.celery import app

    @app.task(name="tests.log_something")
    def log_something():
        logging.getLogger("donations.tasks").info("working")

    result = log_something.apply()

    [line] = [line for line in json_lines() if line["message"] == "working"]
    assert line["task_id"] == result.id
    assert logging.getLogger().handlers  # and the task left the logging set-up alone


def test_log_format_is_checked():
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        logging_config(log_format="xml", level="INFO")
