"""Property-based: whatever valid postings and reversals happen, the books stay whole."""

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import exceptions
from ledger.books.posting import transaction_post, transaction_reverse
from ledger.books.selectors import account_balances
from ledger.books.verification import verify_ledger
from ledger.models import JournalTransaction, MonthlyTotal, Posting
from tests.ledger.books.strategies import CODES, balanced_legs

pytestmark = pytest.mark.django_db


class _Rollback(Exception):
    pass


operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("post"), balanced_legs(), st.dates(dt.date(2020, 1, 1), dt.date(2026, 11, 30))
        ),  # noqa: E501
        st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=50), st.none()),
        st.tuples(st.just("repost"), st.integers(min_value=0, max_value=50), st.none()),
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)  # noqa: E501
@given(ops=operations)
def test_any_valid_postings_and_reversals_keep_the_books_whole(ops):
    try:
        with transaction.atomic():
            posted = []
            for index, (op, arg, date) in enumerate(ops):
                if op == "post":
                    posted.append(
                        transaction_post(
                            kind="adjustment", date=date, legs=arg, idempotency_key=f"p:{index}"
                        )
                    )
                elif op == "reverse" and posted:
                    target = posted[arg % len(posted)]
                    try:
                        transaction_reverse(transaction_to_reverse=target, date=dt.date(2026, 1, 1))
                    except exceptions.AlreadyReversed:
                        pytest.fail("the default key makes a repeated reversal idempotent")
                elif op == "repost" and posted:
                    original = posted[arg % len(posted)]
                    legs = list(original.postings.values_list("account__code", "amount"))
                    again = transaction_post(
                        kind=original.kind,
                        date=original.date,
                        legs=legs,
                        idempotency_key=original.idempotency_key,
                    )
                    assert again.pk == original.pk

            assert sum(account_balances().values()) == 0
            report = verify_ledger()
            assert report.ok, report.problems
            raise _Rollback
    except _Rollback:
        pass


invalid_legs = st.one_of(
    st.lists(st.tuples(st.sampled_from(CODES), st.integers(-1000, 1000)), max_size=1),
    balanced_legs().map(lambda legs: [*legs[:-1], (legs[-1][0], legs[-1][1] + 1)]),
    balanced_legs().map(lambda legs: [(legs[0][0], 0), *legs[1:]]),
    balanced_legs().map(lambda legs: [("assets:missing", legs[0][1]), *legs[1:]]),
    balanced_legs().map(lambda legs: [(code, float(amount)) for code, amount in legs]),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)  # noqa: E501
@given(legs=invalid_legs)
def test_any_invalid_posting_changes_nothing(legs):
    before = (
        JournalTransaction.objects.count(),
        Posting.objects.count(),
        MonthlyTotal.objects.count(),
        account_balances(),
    )
    with pytest.raises(exceptions.LedgerError):
        transaction_post(
            kind="adjustment", date=dt.date(2026, 1, 1), legs=legs, idempotency_key="bad"
        )
    after = (
        JournalTransaction.objects.count(),
        Posting.objects.count(),
        MonthlyTotal.objects.count(),
        account_balances(),
    )
    assert after == before
