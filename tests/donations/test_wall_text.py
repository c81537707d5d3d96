"""Display names and messages are plain text: invisible formatting characters (zero width,
bidirectional controls, the byte order mark) are removed when the form is cleaned, so they
are never stored, and again when the wall is shown."""

import pytest

from donations.checkout.forms import DonationForm
from donations.models import Donation
from donations.wall import wall_entries, wall_text
from tests.donations.conftest import donation_form, succeeded_gift

pytestmark = pytest.mark.django_db

# A right-to-left override that makes "Free Sam Smith" read otherwise, zero width spaces
# and joiners splitting a word a moderator would look for, isolates, a word joiner, the
# byte order mark, a soft hyphen and a C1 control.
HIDDEN = (
    "\u202e\u200bF\u200cr\u200de\u200ee\u200f \u2066S\u2067a\u2068m\u2069"
    "\u2060\u2064\ufeff\u00ad\u0085"
)


def _form(**fields) -> DonationForm:
    form = DonationForm(data=donation_form(show_on_wall="on", **fields))
    assert form.is_valid(), form.errors
    return form


def test_every_invisible_formatting_character_is_removed_and_visible_text_kept():
    assert wall_text(HIDDEN) == "Free Sam"
    assert wall_text("\u202a\u202b\u202c\u202d\u2061\u2062\u2063") == ""
    # Letters, accents, emoji and line breaks are text, not formatting.
    assert wall_text(" Zoë 🙂 nach\nMünchen\t") == "Zoë 🙂 nach\nMünchen"


def test_the_form_removes_them_from_the_display_name_and_the_message():
    data = _form(display_name=f"Ana{HIDDEN}", message=f"\u202eFor {HIDDEN} everyone").cleaned_data

    assert data["display_name"] == "AnaFree Sam"
    assert data["message"] == "For Free Sam everyone"


def test_a_donation_from_the_page_stores_neither_of_them(client, sandbox):
    client.post(
        "/donate/",
        donation_form(
            show_on_wall="on",
            display_name="\u2067Ana\u2069",
            message="Free\u200b Sam\ufeff",
        ),
    )

    donation = Donation.objects.get()
    assert (donation.display_name, donation.message) == ("Ana", "Free Sam")


def test_the_wall_removes_them_from_entries_stored_before_the_form_did():
    shown = {"show_on_wall": True, "wall_approved_at": "2026-11-01T12:00:00Z"}
    succeeded_gift(display_name="\u202eAna\u202c", message=f"For {HIDDEN}", **shown)
    succeeded_gift(display_name="\u200b\u200d", message="\ufeff", **shown)

    entries = wall_entries()

    assert [(e["name"], e["message"]) for e in entries] == [("Ana", "For Free Sam")]
