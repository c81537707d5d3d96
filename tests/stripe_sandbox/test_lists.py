"""List endpoints: ordering, pagination and filters."""

from __future__ import annotations

import pytest
import stripe

from stripe_sandbox.server import SandboxServer

from .conftest import T0, charges


def test_lists_page_newest_first_with_starting_after_and_has_more_over_many_objects(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    created = charges(sandbox.state, 250)  # all in the same second

    pages = []
    cursor = None
    while True:
        params = {"limit": 100, **({"starting_after": cursor} if cursor else {})}
        page = client.v1.charges.list(params=params)
        pages.append(page)
        if not page.has_more:
            break
        cursor = page.data[-1].id

    assert [len(p.data) for p in pages] == [100, 100, 50]
    assert [p.has_more for p in pages] == [True, True, False]
    ids = [c.id for p in pages for c in p.data]
    assert ids == created[::-1]
    assert pages[0].url == "/v1/charges"


def test_the_sdk_auto_pager_walks_every_object_once(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    charges(sandbox.state, 230)

    seen = [c.id for c in client.v1.charges.list(params={"limit": 100}).auto_paging_iter()]

    assert len(seen) == 230
    assert len(set(seen)) == 230


def test_ending_before_returns_the_objects_just_newer_than_the_cursor(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    newest_first = charges(sandbox.state, 30)[::-1]

    page = client.v1.charges.list(params={"limit": 5, "ending_before": newest_first[20]})

    assert [c.id for c in page.data] == newest_first[15:20]
    assert page.has_more is True
    last = client.v1.charges.list(params={"limit": 5, "ending_before": newest_first[3]})
    assert [c.id for c in last.data] == newest_first[0:3]
    assert last.has_more is False


@pytest.mark.parametrize("limit", [0, 101, "ten"])
def test_it_rejects_a_limit_outside_one_to_a_hundred(client: stripe.StripeClient, limit):
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.charges.list(params={"limit": limit})

    assert error.value.param == "limit"


def test_it_rejects_an_unknown_cursor_and_unknown_filters(client: stripe.StripeClient):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.charges.list(params={"starting_after": "ch_doesnotexist"})
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.charges.list(params={"colour": "red"})

    assert missing.value.http_status == 404
    assert missing.value.code == "resource_missing"
    assert unknown.value.param == "colour"


@pytest.fixture
def three_batches(sandbox: SandboxServer) -> list[list[str]]:
    """Three charges at T0, three at T0+10, three at T0+20."""
    batches = []
    for _ in range(3):
        batches.append([sandbox.state.create_charge(1000).charge for _ in range(3)])
        sandbox.state.advance_clock(10)
    return batches


@pytest.mark.parametrize(
    ("created", "expected_batches"),
    [
        ({"gte": T0 + 10}, [1, 2]),
        ({"gt": T0 + 10}, [2]),
        ({"lte": T0 + 10}, [0, 1]),
        ({"lt": T0 + 10}, [0]),
        ({"gte": T0, "lt": T0 + 20}, [0, 1]),
        (T0 + 10, [1]),
    ],
)
def test_created_filters_select_by_timestamp(
    client: stripe.StripeClient, three_batches, created, expected_batches
):
    page = client.v1.charges.list(params={"created": created, "limit": 100})

    expected = [cid for index in expected_batches for cid in three_batches[index]]
    assert sorted(c.id for c in page.data) == sorted(expected)


def test_created_filters_combine_with_pagination(client: stripe.StripeClient, three_batches):
    first = client.v1.charges.list(params={"created": {"gte": T0 + 10}, "limit": 4})
    rest = client.v1.charges.list(
        params={"created": {"gte": T0 + 10}, "limit": 4, "starting_after": first.data[-1].id}
    )

    assert first.has_more is True
    assert rest.has_more is False
    assert len(first.data) + len(rest.data) == 6
    assert {c.created for c in first.data + rest.data} == {T0 + 10, T0 + 20}


def test_balance_transactions_filter_by_type_and_source(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    charge = sandbox.state.create_charge(3000).charge
    refund = sandbox.state.create_refund(charge=charge, amount=1000)

    refunds = client.v1.balance_transactions.list(params={"type": "refund"})
    by_source = client.v1.balance_transactions.list(params={"source": charge})

    assert [t.source for t in refunds.data] == [refund["id"]]
    assert [t.type for t in by_source.data] == ["charge"]


def test_events_filter_by_type_types_and_wildcards(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    charge = sandbox.state.create_charge(3000).charge
    sandbox.state.create_refund(charge=charge)

    exact = client.v1.events.list(params={"type": "charge.refunded"})
    several = client.v1.events.list(params={"types": ["refund.created", "charge.succeeded"]})
    wildcard = client.v1.events.list(params={"type": "refund.*"})

    assert [e.type for e in exact.data] == ["charge.refunded"]
    assert sorted(e.type for e in several.data) == ["charge.succeeded", "refund.created"]
    assert sorted(e.type for e in wildcard.data) == ["refund.created", "refund.updated"]


def test_list_expansion_uses_the_data_prefix(client: stripe.StripeClient, sandbox: SandboxServer):
    sandbox.state.create_charge(1000)

    page = client.v1.charges.list(params={"expand": ["data.balance_transaction"]})

    assert page.data[0].balance_transaction.object == "balance_transaction"
    assert page.data[0].balance_transaction.fee == 59


def test_canceled_subscriptions_are_listed_only_when_asked_for(
    client: stripe.StripeClient, sandbox: SandboxServer
):
    from .conftest import monthly_params

    session = client.v1.checkout.sessions.create(params=monthly_params())
    sandbox.state.pay_checkout_session(session.id, "4242424242424242")
    subscription_id = client.v1.checkout.sessions.retrieve(session.id).subscription
    client.v1.subscriptions.cancel(subscription_id)

    assert client.v1.subscriptions.list().data == []
    assert [s.id for s in client.v1.subscriptions.list(params={"status": "all"}).data] == [
        subscription_id
    ]
    assert len(client.v1.subscriptions.list(params={"status": "canceled"}).data) == 1
