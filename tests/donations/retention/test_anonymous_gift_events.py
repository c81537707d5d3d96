"""An anonymous donor's name is never stored: the copy we keep of each Stripe event of an
anonymous gift is written without the donor's name, email, address or phone, whether the
event came by webhook or was fetched by reconciliation, and whether it was processed or
failed. The receipt still goes out: it is sent to the email on our donation row."""

from __future__ import annotations

import importlib
import json
import time
import uuid
from types import SimpleNamespace

import pytest
from django.core import mail
from django.db import IntegrityError, connection
from django.utils import timezone

from donations import stripe_gateway
from donations.events.processing import stripe_event_process
from donations.models import Donation, DonationStatus, EventStatus, StripeEvent
from donations.reconciliation.runs import reconcile_stripe
from tests.donations.conftest import (
    WEBHOOK_SECRET,
    assert_books_match_sandbox,
    donation_form,
    event_body,
    given,
    stripe_signature,
)

NAME, EMAIL = "Ana Donor", "donor@example.org"


def _stored() -> str:
    """Every stored event, as one text."""
    return json.dumps(list(StripeEvent.objects.values("payload", "last_error")))


def _payloads(type_: str) -> list[str]:
    return [
        json.dumps(p)
        for p in StripeEvent.objects.filter(type=type_).values_list("payload", flat=True)
    ]


@pytest.mark.django_db(transaction=True)
def test_an_anonymous_gift_leaves_no_name_in_any_stored_event_and_gets_its_receipt(
    live_sandbox, donor
):
    donation = given(live_sandbox, donor, amount_choice="5000", anonymous="on", email=EMAIL)

    assert donation.anonymous and donation.status == DonationStatus.SUCCEEDED
    assert donation.donor_name == "" and donation.email == EMAIL
    types = set(StripeEvent.objects.values_list("type", flat=True))
    assert {"checkout.session.completed", "charge.succeeded", "payment_intent.succeeded"} <= types
    assert not StripeEvent.objects.exclude(status=EventStatus.PROCESSED).exclude(
        status=EventStatus.IGNORED
    )
    assert NAME not in _stored() and EMAIL not in _stored()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [EMAIL]
    assert NAME not in mail.outbox[0].body
    assert_books_match_sandbox(live_sandbox)


@pytest.mark.django_db(transaction=True)
def test_a_named_monthly_gift_keeps_its_name_and_its_receipt_while_unlinked_events_drop_it(
    live_sandbox, donor
):
    donation = given(live_sandbox, donor, amount_choice="2500", frequency="monthly", email=EMAIL)

    assert donation.donor_name == NAME and donation.status == DonationStatus.SUCCEEDED
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [EMAIL]
    # The checkout session names our donation: a named donor's copy is kept as it came.
    assert all(NAME in p for p in _payloads("checkout.session.completed"))
    # Stripe's customer names no donation when it is created: its copy is left without.
    [customer] = _payloads("customer.created")
    assert NAME not in customer and EMAIL not in customer


@pytest.mark.django_db
def test_events_reconciliation_fetches_are_stored_without_the_anonymous_donors_name(
    sandbox, client
):
    client.post("/donate/", donation_form(anonymous="on", email=EMAIL))
    donation = Donation.objects.get()
    sandbox.state.pay_checkout_session(
        donation.checkout_session_id, "4242424242424242", name=NAME, email=EMAIL
    )  # no webhook reaches us: reconciliation finds the events Stripe could not deliver

    run = reconcile_stripe(kind="events", trigger="test")

    assert run.posted > 0 and StripeEvent.objects.filter(type="charge.succeeded").exists()
    assert NAME not in _stored() and EMAIL not in _stored()
    donation.refresh_from_db()
    assert donation.status == DonationStatus.SUCCEEDED and donation.email == EMAIL


def _checkout_event(donation: Donation, event_id: str) -> bytes:
    session = {
        "id": f"cs_test_{event_id}",
        "object": "checkout.session",
        "metadata": {"donation_id": str(donation.public_id)},
        "client_reference_id": str(donation.public_id),
        "customer_email": EMAIL,
        "customer_details": {
            "address": {"line1": "1 Main St", "city": "Springfield", "postal_code": "12345"},
            "email": EMAIL,
            "name": NAME,
            "phone": "+15555550100",
        },
        "payment_status": "paid",
        "status": "complete",
    }
    return event_body(event_id, "checkout.session.completed", session)


def _donation(**fields) -> Donation:
    return Donation.objects.create(
        frequency="once",
        status=DonationStatus.PENDING,
        currency="usd",
        gift_amount=5000,
        amount=5000,
        checkout_idempotency_key=f"checkout:{uuid.uuid4()}",
        **fields,
    )


@pytest.mark.django_db
def test_a_failed_event_of_an_anonymous_gift_keeps_no_name_in_its_copy_or_its_error(
    client, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    anonymous, named = _donation(anonymous=True), _donation(email=EMAIL)
    with django_capture_on_commit_callbacks(execute=False):
        for event_id, donation in (("evt_anon", anonymous), ("evt_named", named)):
            body = _checkout_event(donation, event_id)
            response = client.post(
                "/stripe/webhook/",
                data=body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=stripe_signature(body),
            )
            assert response.status_code == 200

    def refused(session_id):
        raise IntegrityError(
            'new row violates check constraint "x"\n'
            f"DETAIL:  Failing row contains ({NAME}, {EMAIL})."
        )

    monkeypatch.setattr(stripe_gateway, "retrieve_checkout_session", refused)
    with pytest.raises(IntegrityError):
        stripe_event_process(event_pk=StripeEvent.objects.get(event_id="evt_anon").pk)

    failed = StripeEvent.objects.get(event_id="evt_anon")
    assert failed.status == EventStatus.FAILED
    assert failed.last_error == 'IntegrityError: new row violates check constraint "x"'
    text = json.dumps(failed.payload)
    for personal in (NAME, EMAIL, "Main St", "+15555550100"):
        assert personal not in text
    session = failed.payload["data"]["object"]
    assert session["id"] == "cs_test_evt_anon" and session["customer_details"] is None
    # A donor who did not ask for anonymity: the copy is kept as Stripe sent it.
    kept = StripeEvent.objects.get(event_id="evt_named").payload
    assert kept["data"]["object"]["customer_details"]["name"] == NAME


@pytest.mark.django_db
def test_a_customer_update_loses_the_name_it_had_and_the_one_it_has(client, settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    body = json.dumps(
        {
            "id": "evt_cus",
            "object": "event",
            "created": int(time.time()),
            "type": "customer.updated",
            "data": {
                "object": {"id": "cus_1", "object": "customer", "name": NAME, "email": EMAIL},
                "previous_attributes": {"name": "Ana Previous", "phone": "+15555550100"},
            },
        }
    ).encode()

    response = client.post(
        "/stripe/webhook/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_signature(body),
    )

    assert response.status_code == 200
    stored = StripeEvent.objects.get().payload["data"]
    assert stored["object"] == {"id": "cus_1", "object": "customer", "name": None, "email": None}
    assert stored["previous_attributes"] == {"name": None, "phone": None}


@pytest.mark.django_db
def test_events_stored_before_the_change_lose_an_anonymous_donors_details_on_migrating():
    from django.apps import apps

    migration = importlib.import_module("donations.migrations.0007_anonymous_event_payloads")
    anonymous, named = _donation(anonymous=True), _donation(email=EMAIL)
    for event_id, donation in (("evt_old_failed", anonymous), ("evt_old_named", named)):
        StripeEvent.objects.create(
            event_id=event_id,
            type="checkout.session.completed",
            stripe_created=timezone.now(),
            payload=json.loads(_checkout_event(donation, event_id)),
            status=EventStatus.FAILED,
        )
    StripeEvent.objects.create(
        event_id="evt_trimmed",
        type="charge.succeeded",
        stripe_created=timezone.now(),
        payload={"trimmed": True},
        status=EventStatus.PROCESSED,
    )

    migration.strip_stored_events(apps, SimpleNamespace(connection=connection))

    failed = StripeEvent.objects.get(event_id="evt_old_failed").payload
    assert NAME not in json.dumps(failed) and EMAIL not in json.dumps(failed)
    assert failed["data"]["object"]["metadata"] == {"donation_id": str(anonymous.public_id)}
    assert NAME in json.dumps(StripeEvent.objects.get(event_id="evt_old_named").payload)
    assert StripeEvent.objects.get(event_id="evt_trimmed").payload == {"trimmed": True}
