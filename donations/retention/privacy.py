"""What is kept of donors in stored events and error texts (their erasure over time is
``donations.retention.erasure``).

* The stored copy of a Stripe event keeps no name, email, address or phone number of an
  anonymous gift (``event_payload_to_store``). Processing reads only the object's id from
  the copy (every handler re-reads the object from Stripe), and receipts go to the email on
  our donation row, so nothing is lost by leaving them out.
* The text of a failed event or run names the error, never what the failing row held
  (``error_text``).
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable

import psycopg
from django.db import connection

from donations.database import on_a_live_connection
from donations.models import Donation

# Event types whose object can carry a donor's name, email, address or phone.
PERSONAL_EVENT_TYPES = ("checkout.session.", "charge.", "payment_intent.", "customer.", "invoice.")
# Fields, at any depth of an event's data, that hold nothing but a person's details:
# Checkout's customer_details and collected_information, a charge's or a payment method's
# billing_details, a dispute's evidence, an invoice's copies of its customer.
_PERSONAL_FIELDS = frozenset(
    {
        "billing_details",
        "collected_information",
        "custom_fields",
        "customer_address",
        "customer_details",
        "customer_email",
        "customer_name",
        "customer_phone",
        "customer_shipping",
        "customer_tax_ids",
        "evidence",
        "receipt_email",
        "shipping",
        "shipping_details",
    }
)
# And the fields of a customer object itself.
_CUSTOMER_FIELDS = frozenset(
    {"address", "business_name", "description", "email", "individual_name", "name", "phone"}
)


def _without_personal_fields(value, *, customer: bool = False):
    """``value`` with every personal field set to None, the rest as it was (``value``
    itself is not changed). ``customer``: ``value`` holds a customer's fields without
    saying so (the previous attributes of a customer.updated event)."""
    if isinstance(value, list):
        return [_without_personal_fields(item) for item in value]
    if not isinstance(value, dict):
        return value
    customer = customer or value.get("object") == "customer"
    return {
        key: None
        if item and (key in _PERSONAL_FIELDS or (customer and key in _CUSTOMER_FIELDS))
        else _without_personal_fields(item)
        for key, item in value.items()
    }


def _donation_id(obj: dict) -> uuid.UUID | None:
    """Our donation id, from the metadata our Checkout Session gave the object (a session,
    its payment intent and charge, a subscription's invoice)."""
    parent = obj.get("parent") if isinstance(obj.get("parent"), dict) else {}
    details = parent.get("subscription_details") or {}
    for metadata in (obj.get("metadata"), details.get("metadata")):
        if isinstance(metadata, dict) and metadata.get("donation_id"):
            try:
                return uuid.UUID(str(metadata["donation_id"]))
            except ValueError:
                return None
    return None


_ANONYMOUS = "SELECT anonymous FROM donations_donation WHERE public_id = %s"


def _select_anonymous(public_id: uuid.UUID) -> bool | None:
    """On PostgreSQL, like the insert that follows it, a prepared statement on the
    connection as it is (no health check round trip), sent again on a new connection if
    the database dropped this one."""
    if connection.vendor != "postgresql":
        found = Donation.objects.filter(public_id=public_id).values_list("anonymous", flat=True)
        return found.first()

    def select() -> bool | None:
        connection.ensure_connection()
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cur:
            cur.execute(_ANONYMOUS, [public_id], prepare=True)
            row = cur.fetchone()
        return None if row is None else row[0]

    return on_a_live_connection(select)


@functools.lru_cache(maxsize=4096)
def _anonymity(public_id: uuid.UUID) -> bool:
    # A donation's choice is made when it is created and never changes, so a process
    # asks once for the several events each gift brings. No such donation is not kept.
    found = _select_anonymous(public_id)
    if found is None:
        raise LookupError(public_id)
    return found


def _gift_is_anonymous(public_id: uuid.UUID) -> bool | None:
    """Whether the donor of our donation ``public_id`` gave anonymously; None if there is
    no such donation."""
    try:
        return _anonymity(public_id)
    except LookupError:
        return None


def event_without_personal_data(
    event: dict, *, anonymous: Callable[[uuid.UUID], bool | None] = _gift_is_anonymous
) -> dict | None:
    """The event without the personal fields of its data when the gift it belongs to is
    anonymous, or when it belongs to no gift we know of (a customer Stripe created before
    our donation was linked to it, a monthly renewal, a payment not made on our page: the
    copy is never read for them either); None when the event keeps everything (a type
    that carries no donor's details, nothing personal in it, or a donor who did not ask
    for anonymity). ``anonymous`` tells, for one of our donation ids, whether that gift
    is anonymous (None: no such donation)."""
    if not str(event.get("type", "")).startswith(PERSONAL_EVENT_TYPES):
        return None
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        return None
    stripped = {**data, "object": _without_personal_fields(obj)}
    if isinstance(data.get("previous_attributes"), dict):
        stripped["previous_attributes"] = _without_personal_fields(
            data["previous_attributes"], customer=obj.get("object") == "customer"
        )
    if stripped == data:
        return None
    public_id = _donation_id(obj)
    if public_id is not None and anonymous(public_id) is False:
        return None
    return {**event, "data": stripped}


def event_payload_to_store(event: dict, raw: bytes | None) -> str:
    """The JSON text to store for a verified (or fetched) event: as it came (``raw``, when
    given) unless personal fields had to be left out."""
    stripped = event_without_personal_data(event)
    if stripped is not None:
        return json.dumps(stripped)
    return raw.decode() if raw is not None else json.dumps(event)


def error_text(error: BaseException) -> str:
    """What to record of an error: its type and the first line of its message. PostgreSQL
    adds the failing row's values on later lines ("DETAIL: Failing row contains ...")."""
    message = str(error).strip().split("\n", 1)[0]
    return f"{type(error).__name__}: {message}"[:500]
