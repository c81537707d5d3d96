"""What the casework tests share."""

import pytest

from ledger.casework.cases import Identity

# A person the fund helps, as the tests seed them, and the pieces of their identifying data
# that must show nowhere but where a role may see them.
PERSON = Identity(
    name="Marisol Quintero-Vance",
    date_of_birth="1991-04-17",
    booking_number="BK-88812-Q",
    docket_number="CR-2026-004417",
    notes="Needs a ride from the county jail; works nights",
)
CLUES = ("Marisol", "Quintero", "1991-04-17", "BK-88812", "CR-2026-004417", "004417", "nights")

# The staff lists of rows tied to a case, each with its CSV export.
STAFF_LISTS = (
    "casework:cases",
    "casework:disbursements",
    "casework:queue",
    "casework:outstanding",
    "casework:returns",
    "casework:audit",
)


@pytest.fixture
def staff(person, field_keys):
    """One person per role that moves money, and a second approver for the two-person
    rule; the field keys are set, so identifying data can be written."""
    return {
        "case_manager": person("case_manager"),
        "approver": person("approver"),
        "second_approver": person("approver"),
        "bookkeeper": person("bookkeeper"),
        "viewer": person("viewer"),
    }
