"""The donor's pages: the donation form, the thank-you page and its status, and the page
a monthly gift's link opens (update the card at Stripe, or stop the gift). Thin doors into
``donations.checkout.services``."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from donations.checkout import services
from donations.checkout.fees import fee_covering_amount, fee_rates
from donations.checkout.forms import DonationForm
from donations.checkout.receipts import donation_id_from_token, fee_taken, stop_link_send
from donations.exceptions import (
    DonationsPaused,
    InvalidDonation,
    RateLimited,
    StripeGatewayError,
)
from donations.models import Donation, DonationStatus
from ledger.books.money import format_money


def _give_labels(rates: str) -> dict:
    """What the button says for each preset (the exact charge, with and without the fee
    cover, once and monthly), and the fee cover worked out on that preset."""
    currency = settings.FUND_CURRENCY
    labels = {}
    for gift in settings.DONATION_PRESET_AMOUNTS:
        plain = format_money(gift, currency)
        covered = format_money(fee_covering_amount(gift), currency)
        labels[str(gift)] = {
            "once": _("Give %(amount)s") % {"amount": plain},
            "once_cover": _("Give %(amount)s") % {"amount": covered},
            "monthly": _("Give %(amount)s monthly") % {"amount": plain},
            "monthly_cover": _("Give %(amount)s monthly") % {"amount": covered},
            "fee_example": _fee_example(gift, rates),
        }
    return labels


# The ways to pay Checkout can offer, as the donation page names them.
METHOD_NAMES = {
    "card": gettext_lazy("card payment"),
    "us_bank_account": gettext_lazy("US bank debit (ACH)"),
    "sepa_debit": gettext_lazy("SEPA Direct Debit"),
    "link": gettext_lazy("payment with Link"),
    "cashapp": gettext_lazy("Cash App Pay payment"),
}


def _fee_rates_text() -> str:
    """What Stripe charges per way of paying, in the page's words and number format."""
    currency = settings.FUND_CURRENCY
    parts = []
    for rate in fee_rates():
        values = {
            "percent": number_format(rate.percent, use_l10n=True),
            "fixed": format_money(rate.fixed, currency),
            "cap": format_money(rate.cap or 0, currency),
            "method": METHOD_NAMES.get(rate.method, rate.method),
        }
        if rate.cap is not None:
            parts.append(_("%(percent)s%% + %(fixed)s, at most %(cap)s, per %(method)s") % values)
        else:
            parts.append(_("%(percent)s%% + %(fixed)s per %(method)s") % values)
    return "; ".join(parts)


def _fee_example(gift: int, rates: str) -> str:
    covered = fee_covering_amount(gift)
    currency = settings.FUND_CURRENCY
    return _(
        "Stripe charges %(rates)s. To cover it we charge (gift + fixed fee) ÷ (1 − "
        "percentage), rounded up to the cent, at the costliest of these rates, so the fund "
        "receives your whole gift whichever way you pay: a %(gift)s gift becomes "
        "%(covered)s (%(fee)s covers the fee)."
    ) % {
        "rates": rates,
        "gift": format_money(gift, currency),
        "covered": format_money(covered, currency),
        "fee": format_money(covered - gift, currency),
    }


def _chosen_gift(form: DonationForm) -> int:
    """The gift the page is about: what the donor asked for, once it reads as an amount;
    else the preset selected at first."""
    asked = getattr(form, "cleaned_data", {}).get("gift_amount")
    return asked or int(form.fields["amount_choice"].initial)


@require_http_methods(["GET", "POST"])
def donate(request):
    paused, message, redirect_url = services.donations_pause_state()
    if paused:
        return render(
            request,
            "donations/paused.html",
            {"message": message, "redirect_url": redirect_url},
            status=503,
        )
    form = DonationForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not request.session.session_key:
            request.session.save()
        try:
            donation = services.donation_start_checkout(
                gift_amount=data["gift_amount"],
                frequency=data["frequency"],
                cover_fees=data["cover_fees"],
                anonymous=data["anonymous"],
                display_name=data["display_name"],
                message=data["message"],
                show_amount=data["show_amount"],
                show_on_wall=data["show_on_wall"],
                email=data["email"],
                client_key=services.client_fingerprint(services.client_address(request.META)),
                session_key=request.session.session_key or "",
                base_url=request.build_absolute_uri("/").rstrip("/"),
                form_token=data["form_token"],
                language=translation.get_language(),
            )
        except RateLimited as error:
            form.add_error(None, str(error))
            status = 429
        except (InvalidDonation, DonationsPaused) as error:
            form.add_error(None, str(error))
            status = 400
        except StripeGatewayError:
            form.add_error(
                None, _("We could not reach our payment processor. Please try again shortly.")
            )
            status = 502
        else:
            return HttpResponseRedirect(donation.checkout_url, status=303)
        # Sent again, the page is a new attempt: a new token, so it is not refused as a
        # repeat of the one that failed.
        form.data = form.data.copy()
        form.data["form_token"] = uuid.uuid4().hex
    elif request.method == "POST":
        status = 400
    rates = _fee_rates_text()
    return render(
        request,
        "donations/donate.html",
        {
            "form": form,
            "fee_example": _fee_example(_chosen_gift(form), rates),
            "give_labels": _give_labels(rates),
        },
        status=status,
    )


# The pending thank-you page reloads itself every 3 s for about a minute, then says what
# will happen instead of polling for ever.
THANKS_CHECKS = 20


def thanks(request, public_id):
    donation = get_object_or_404(Donation, public_id=public_id)
    pending = donation.status in (DonationStatus.CREATED, DonationStatus.PENDING)
    checks = request.GET.get("checks", "0")
    checks = int(checks) if checks.isdigit() and len(checks) < 4 else 0
    refresh_url = f"?checks={checks + 1}" if pending and checks < THANKS_CHECKS else ""
    latest = donation.charges.order_by("-charged_at").first()
    return render(
        request,
        "donations/thanks.html",
        {
            "donation": donation,
            "pending": pending,
            "refresh_url": refresh_url,
            **fee_taken(latest),
        },
    )


def donation_status(request, public_id):
    """The thank-you page's state as JSON (for scripts and tests)."""
    donation = get_object_or_404(Donation, public_id=public_id)
    return JsonResponse({"status": donation.status})


@require_http_methods(["GET", "POST"])
def stop_monthly(request, token):
    """The link in every receipt of a monthly gift: the gift's page (GET), stopping it
    (POST). An expired link offers to email a fresh one."""
    donation, expired = _donation_of_link(token)
    if donation is None:
        return render(request, "donations/stop_monthly.html", {"invalid": True}, status=404)
    if expired:
        sent = request.method == "POST" and stop_link_send(donation=donation)
        return render(
            request,
            "donations/stop_monthly.html",
            {"expired": True, "sent": sent},
            status=410 if request.method == "GET" else 200,
        )
    return _manage_page(request, donation, token, stop=request.method == "POST")


@require_http_methods(["POST"])
def update_card(request, token):
    """From the gift's page: open Stripe's customer portal, where the donor updates the
    card (or stops the gift), and come back to the gift's page."""
    donation, expired = _donation_of_link(token)
    if donation is None or expired:
        return HttpResponseRedirect(reverse("donations:stop_monthly", args=[token]), status=303)
    try:
        url = services.donation_portal_url(
            donation=donation,
            return_url=settings.SITE_URL + reverse("donations:stop_monthly", args=[token]),
        )
    except InvalidDonation as exc:
        return _manage_page(request, donation, token, error=str(exc))
    except StripeGatewayError:
        return _manage_page(
            request,
            donation,
            token,
            error=_("We could not reach our payment processor. Please try again shortly."),
        )
    return HttpResponseRedirect(url, status=303)


def _donation_of_link(token: str) -> tuple[Donation | None, bool]:
    donation_id, expired = donation_id_from_token(token)
    donation = Donation.objects.filter(public_id=donation_id).first() if donation_id else None
    return donation, expired


def _manage_page(request, donation, token: str, *, error: str = "", stop: bool = False):
    """The page a monthly gift's link opens: update its card at Stripe, or stop it."""
    if stop:
        try:
            donation = services.donation_stop_monthly(donation=donation)
        except InvalidDonation as exc:
            error = str(exc)
        except StripeGatewayError:
            error = _("We could not reach our payment processor. Please try again shortly.")
    return render(
        request,
        "donations/stop_monthly.html",
        {
            "donation": donation,
            "token": token,
            "error": error,
            "stopped": donation.status == "cancelled",
        },
        status=400 if error else 200,
    )
