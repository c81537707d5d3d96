"""What the tests of the public figures share."""

import datetime as dt

import pytest
from cryptography.fernet import Fernet

from ledger.models import ReleaseStatus
from ledger.public import releases
from tests.ledger import fund_life as life

# The open data, then every public page that shows the figures.
OPEN_DATA_PATHS = (
    "/transparency.json",
    "/transparency/monthly.csv",
    "/transparency/data-dictionary.csv",
    "/transparency/checkpoints.json",
)
PUBLIC_PATHS = ("/", "/transparency/", *OPEN_DATA_PATHS)

# July 2025 is due ten days after it ends (TRANSPARENCY_RELEASE_LAG_DAYS).
THROUGH_JULY = dt.date(2025, 8, 10)
PERIODS = [f"2025-{month:02d}" for month in range(1, 8)]


@pytest.fixture
def case_keys(settings):
    """Case data encrypted; cells under five people suppressed; releases ten days after a
    month ends."""
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    settings.TRANSPARENCY_MIN_CELL = 5
    settings.TRANSPARENCY_RELEASE_LAG_DAYS = 10


@pytest.fixture
def fund_year(case_keys):
    """A scripted year: gifts, a refund, a dispute, a payout, offline gifts, eleven people
    bailed out over two months, support, returns with court fees, a forfeiture, and bail
    approved but not yet paid."""
    by = life.team()
    from ledger.books.posting import transaction_post

    transaction_post(
        kind="opening",
        date=dt.date(2025, 1, 1),
        legs=[("assets:bank", 100_000), ("net_assets:opening_balance", -100_000)],
        idempotency_key="opening",
    )
    for gross, fee in ((10000, 320), (5000, 175), (2500, 103)):
        life.donation(gross, fee, dt.date(2025, 1, 12))
    for gross, fee in ((20000, 610), (4000, 146)):
        life.donation(gross, fee, dt.date(2025, 2, 3))
    life.refund(5000, dt.date(2025, 2, 9))
    life.dispute(3000, dt.date(2025, 2, 11))
    life.payout(25000, dt.date(2025, 2, 27))  # in transit at the end of February
    life.offline_gift(300_000, dt.date(2025, 1, 20))
    life.offline_gift(4000, dt.date(2025, 1, 21), account="assets:cash")
    cases = [
        life.case(
            "Kings" if n < 6 else "Queens",
            bail_type="criminal_bail" if n < 8 else "immigration_bond",
            by=by,
        )
        for n in range(11)
    ]
    paid = [
        life.pay(case, 15000 + 100 * n, dt.date(2025, 3 if n < 6 else 4, 10), by=by)
        for n, case in enumerate(cases)
    ]
    life.pay(cases[7], 2500, dt.date(2025, 4, 12), by=by, purpose="support")
    for n, disbursement in enumerate(paid[:5]):
        life.bail_returned(disbursement, disbursement.amount - 300 * (n % 2), 300 * (n % 2),
                           dt.date(2025, 6, 15), by=by)  # fmt: skip
    life.bail_forfeited(paid[6], paid[6].amount, dt.date(2025, 7, 1), by=by)
    life.approved(cases[10], 7000, by=by)
    return cases


@pytest.fixture
def released(fund_year):
    """The fund year with every month through July released, all of them published."""
    made = releases.releases_publish_due(today=THROUGH_JULY)
    assert [(r.period, r.status) for r in made] == [(p, ReleaseStatus.PUBLISHED) for p in PERIODS]
    return fund_year
