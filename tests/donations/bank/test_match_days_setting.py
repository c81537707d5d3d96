"""BANK_MATCH_DAYS: read from the environment, refused at start when matching could not use
it, and the window matching proposes within."""

import environ
import pytest
from django.core.exceptions import ImproperlyConfigured

from config.bank_settings import match_days
from donations.bank.importing import statement_import
from donations.models import BankMatch
from tests.donations.bank.conftest import day, statement_file


def test_the_window_defaults_to_a_week_and_is_read(monkeypatch):
    monkeypatch.delenv("BANK_MATCH_DAYS", raising=False)
    assert match_days(environ.Env()) == 7

    monkeypatch.setenv("BANK_MATCH_DAYS", "3")
    assert match_days(environ.Env()) == 3


@pytest.mark.parametrize("value", ["-1", "seven", "2.5", "91"])
def test_a_window_that_is_not_a_whole_number_of_days_up_to_90_is_refused(monkeypatch, value):
    monkeypatch.setenv("BANK_MATCH_DAYS", value)

    with pytest.raises(ImproperlyConfigured, match="BANK_MATCH_DAYS must be a whole number"):
        match_days(environ.Env())


@pytest.mark.django_db
def test_a_narrower_window_leaves_the_late_refund_unproposed(settings, march_books):
    settings.BANK_MATCH_DAYS = 2

    statement_import(actor=None, data=statement_file("march_2026.ofx"), fmt="ofx")

    # The court's refund reached the bank three days after it was booked.
    proposed = set(BankMatch.objects.values_list("line__posted_on", flat=True))
    assert proposed == {day(5), day(6), day(10)}
