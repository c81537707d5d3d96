"""Decoding Stripe's bracketed form encoding."""

from __future__ import annotations

import pytest

from stripe_sandbox.errors import SandboxError
from stripe_sandbox.forms import decode


def test_it_nests_bracketed_keys_into_objects():
    assert decode("metadata[donor]=ada&metadata[fund]=bail&mode=payment") == {
        "metadata": {"donor": "ada", "fund": "bail"},
        "mode": "payment",
    }


def test_it_turns_indexed_keys_into_ordered_lists_of_objects():
    body = (
        "line_items[1][quantity]=2&line_items[0][quantity]=1"
        "&line_items[0][price_data][product_data][name]=Gift"
        "&line_items[0][price_data][unit_amount]=500"
    )

    assert decode(body) == {
        "line_items": [
            {
                "quantity": "1",
                "price_data": {"product_data": {"name": "Gift"}, "unit_amount": "500"},
            },
            {"quantity": "2"},
        ]
    }


def test_it_accepts_both_empty_and_indexed_array_brackets():
    assert decode("expand[]=a&expand[]=b.c") == {"expand": ["a", "b.c"]}
    assert decode("expand[0]=a&expand[1]=b") == {"expand": ["a", "b"]}


def test_it_decodes_percent_escapes_and_keeps_blank_values():
    assert decode("metadata%5Bnote%5D=caf%C3%A9+ol%C3%A9&description=") == {
        "metadata": {"note": "café olé"},
        "description": "",
    }


def test_it_rejects_a_key_used_both_as_a_value_and_an_object():
    with pytest.raises(SandboxError) as error:
        decode("metadata=x&metadata[a]=b")

    assert error.value.status == 400
