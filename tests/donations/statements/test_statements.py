"""Year-end statements: one per donor (email, any case) per tax year, refunds netted as
the corrected receipt nets them, sent once by a resumable run, with a signed page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail, signing
from django.urls import reverse

from donations.models import Donation, DonorStatementRun, DonorStatementSent
from donations.offline.services import offline_gift_bounced
from donations.statements.sending import email_hash, preview, run_chunk, run_send, run_start
from tests.donations.statements.conftest import YEAR, at, card_gift

pytestmark = pytest.mark.django_db


def _mail_to(address: str) -> mail.EmailMessage:
    (message,) = [m for m in mail.outbox if m.to == [address]]
    return message


def _link(message) -> str:
    return re.search(r"https?://\S+/donate/statement/\S+/", message.body).group(0)


def test_a_card_donor_gets_every_gift_of_the_year_with_refunds_netted(settings):
    settings.FUND_LEGAL_NAME = "Community Bail Fund, Inc."
    settings.FUND_TAX_STATEMENT = "EIN 12-3456789."
    card_gift(
        "Ana@Example.org",
        (5000, at(2, 1)),
        (4000, at(6, 1), 1500),  # partly refunded
        donor_name="Ana Donor",
    )
    card_gift("ana@example.org", (2000, at(9, 9), 2000))  # given back in full
    card_gift("ana@example.org", (9900, dt.datetime(YEAR + 1, 1, 1, 0, 30, tzinfo=dt.UTC)))

    run = run_send(YEAR)

    assert (run.total, run.gifts, run.sent) == (1, 3, 1)
    body = _mail_to("ana@example.org").body
    assert "Dear Ana Donor," in body
    assert "$40.00, less $15.00 refunded: $25.00" in body  # as the corrected receipt says
    assert "$20.00, refunded: 0" in body
    assert "Total: $75.00" in body  # 50 + 25 + 0; next year's gift is not in it
    assert "$99.00" not in body
    assert "Community Bail Fund, Inc." in body and "EIN 12-3456789." in body
    assert "No goods or services were provided in exchange for these contributions." in body
    assert "written acknowledgment" not in body  # no single gift of $250 or more


def test_the_fund_time_zone_decides_the_year(settings):
    settings.FUND_TIME_ZONE = "America/Chicago"
    # 03:00 UTC on 1 January is still 31 December in Chicago.
    card_gift("bo@example.org", (1000, dt.datetime(YEAR + 1, 1, 1, 3, tzinfo=dt.UTC)))

    assert preview(YEAR)["donors"] == 1
    assert preview(YEAR + 1)["donors"] == 0


def test_a_check_donor_gets_the_same_statement(check_gift):
    check_gift(30_000, dt.date(YEAR, 3, 4), donor_name="Cy Checkwriter", email="cy@example.org")
    check_gift(5_000, dt.date(YEAR, 4, 4))  # no details: no statement

    run = run_send(YEAR)

    assert (run.total, run.sent) == (1, 1)
    body = _mail_to("cy@example.org").body
    assert "Dear Cy Checkwriter," in body
    assert "By check 4417" in body and "Total: $300.00" in body
    # A single gift of $250 or more: the statement is its written acknowledgment.
    assert "This statement is our written acknowledgment of this gift." in body


def test_only_the_gifts_of_250_or_more_are_acknowledged(check_gift, bookkeeper):
    card_gift("di@example.org", (30_000, at(5, 5)), (24_999, at(6, 6)), (26_000, at(7, 7), 2_000))
    bounced = check_gift(50_000, dt.date(YEAR, 8, 8), email="DI@example.org")
    offline_gift_bounced(actor=bookkeeper, gift=bounced)

    run_send(YEAR)

    body = _mail_to("di@example.org").body
    lines = body.splitlines()
    acknowledged = [
        lines[i - 1] for i, line in enumerate(lines) if "written acknowledgment" in line
    ]
    assert len(acknowledged) == 1 and "$300.00" in acknowledged[0]
    assert "$500.00, refunded: 0" in body  # the bounced check counts for nothing
    assert "Total: $789.99" in body  # 300 + 249.99 + 240


def test_an_erased_donor_is_skipped_and_counted(settings):
    kept = card_gift("eve@example.org", (1000, at(3, 3)))
    erased = card_gift("fay@example.org", (1000, at(3, 3)))
    Donation.objects.filter(pk=erased.pk).update(
        email="", donor_name="", donor_data_erased_at=at(12, 1)
    )

    assert preview(YEAR) == {
        "donors": 1,
        "gifts": 1,
        "totals": {"usd": 1000},
        "skipped_erased": 1,
    }
    run = run_send(YEAR)
    assert (run.sent, run.skipped_erased) == (1, 1)
    assert [m.to for m in mail.outbox] == [[kept.email]]


def test_a_spanish_donor_gets_it_in_spanish(client):
    card_gift("gil@example.org", (1000, at(1, 10)), language="en")
    card_gift("gil@example.org", (250_00, at(11, 10)), language="es", donor_name="Gil")

    run_send(YEAR)

    message = _mail_to("gil@example.org")
    assert "declaración de fin de año" in message.subject.lower()
    assert "Hola, Gil:" in message.body
    assert "No se proporcionaron bienes ni servicios" in message.body
    assert "Esta declaración es nuestro reconocimiento escrito de esta donación." in message.body
    assert "$250,00" in message.body  # the Spanish number format
    page = client.get(_path(_link(message)))
    assert page.status_code == 200
    assert 'lang="es"' in page.content.decode()


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_the_signed_link_opens_the_printable_page_and_an_altered_one_is_404(client):
    card_gift("hal@example.org", (30_000, at(4, 4)), donor_name="Hal")
    other = card_gift("ivy@example.org", (1000, at(4, 4)))
    run_send(YEAR)
    path = _path(_link(_mail_to("hal@example.org")))

    page = client.get(path)

    assert page.status_code == 200
    text = page.content.decode()
    assert "Year-end statement 2025" in text and "$300.00" in text
    assert "written acknowledgment" in text
    assert "ivy@example.org" not in text and "hal@example.org" not in text
    token = path.rstrip("/").rsplit("/", 1)[1]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(reverse("donations:statement", args=[tampered])).status_code == 404
    forged = signing.dumps([YEAR, f"d:{other.public_id}"], salt="another.salt")
    assert client.get(reverse("donations:statement", args=[forged])).status_code == 404
    assert client.get(reverse("donations:statement", args=["nonsense"])).status_code == 404


def test_the_link_stops_working_once_the_donors_data_is_erased(client):
    donation = card_gift("jo@example.org", (1000, at(4, 4)))
    run_send(YEAR)
    path = _path(_link(_mail_to("jo@example.org")))
    Donation.objects.filter(pk=donation.pk).update(email="", donor_data_erased_at=at(12, 1))

    assert client.get(path).status_code == 404


def test_an_interrupted_run_resumes_without_emailing_anyone_twice():
    for n in range(5):
        card_gift(f"donor{n}@example.org", (1000, at(5, 1 + n)))
    card_gift("DONOR0@example.org", (500, at(6, 1)))  # the same donor, another case

    run = run_start(YEAR, chunk_size=2)
    assert run_chunk(run, chunk_size=2) is True  # a worker sends one chunk, then dies
    assert len(mail.outbox) == 2
    run.refresh_from_db()
    assert (run.sent, run.total, run.finished_at) == (2, 5, None)
    # Another run picks the year up, even from an older cursor (a chunk done but not saved).
    DonorStatementRun.objects.filter(pk=run.pk).update(last_email_done="")
    resumed = run_send(YEAR, chunk_size=2)

    assert sorted(m.to[0] for m in mail.outbox) == [f"donor{n}@example.org" for n in range(5)]
    assert (resumed.pk, resumed.sent, resumed.last_email_done) == (run.pk, 5, "")
    assert resumed.finished_at is not None
    assert "$15.00" in _mail_to("donor0@example.org").body
    # The run keeps keyed hashes of the addresses, not the addresses.
    hashes = set(DonorStatementSent.objects.values_list("email_hash", flat=True))
    assert email_hash("Donor3@Example.org") in hashes
    assert not any("@" in value for value in hashes)

    run_send(YEAR)  # a finished year sends nothing more
    assert len(mail.outbox) == 5


def test_a_failed_email_is_sent_by_the_next_attempt(settings):
    card_gift("kim@example.org", (1000, at(5, 1)))
    settings.EMAIL_BACKEND = "tests.donations.statements.failing_mail.Backend"
    with pytest.raises(ConnectionError):
        run_send(YEAR)
    assert DonorStatementSent.objects.count() == 0

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert run_send(YEAR).sent == 1
    assert [m.to for m in mail.outbox] == [["kim@example.org"]]
