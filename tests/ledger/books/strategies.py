"""Hypothesis strategies for the books' property tests."""

from hypothesis import strategies as st

from ledger.books.chart import CHART

CODES = [code for code, *_ in CHART]


@st.composite
def balanced_legs(draw):
    """Two to five legs over distinct accounts whose amounts sum to zero."""
    accounts = draw(st.lists(st.sampled_from(CODES), min_size=2, max_size=5, unique=True))
    amounts = [
        draw(st.integers(min_value=-(10**9), max_value=10**9).filter(bool)) for _ in accounts[:-1]
    ]
    if sum(amounts) == 0:  # the last leg would be zero: nudge the first, never to zero
        amounts[0] += 1 if amounts[0] != -1 else -1
    last = -sum(amounts)
    return list(zip(accounts, [*amounts, last], strict=True))
