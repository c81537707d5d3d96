"""A donor follows the receipt's link to the gift's place in the books, sees its proof
once a signed head is out, and checks it against a head saved from the fund's file."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from ledger.books.tree_heads import checkpoint_create
from tests.e2e.conftest import axe_violations, expect, give

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_donor_checks_the_gift_in_the_books(people, site, screenshots):
    page = people()
    give(page, screenshots, amount="$50.00")
    assert site.flush_webhooks(timeout=20)
    (receipt,) = mail.outbox
    link = re.search(r"(http\S+/donate/proof/\S+/)", receipt.body).group(1)

    page.goto(link)
    expect(page.locator("#proof-state")).to_have_attribute("data-state", "waiting")
    assert axe_violations(page) == []
    screenshots.take(page, "proof-waiting")

    checkpoint_create()
    page.reload()
    expect(page.locator("#proof-state")).to_have_attribute("data-state", "proved")
    assert axe_violations(page) == []
    screenshots.take(page, "proof-shown")

    heads = page.request.get("/transparency/tree-heads.jsonl").text()
    page.get_by_label("A signed head (one line)").fill(heads.splitlines()[-1])
    page.locator("#check-head").click()
    expect(page.locator("#check-result")).to_have_attribute("data-ok", "yes")
    assert axe_violations(page) == []
    screenshots.take(page, "proof-checked")
    assert people.problems.seen == []
