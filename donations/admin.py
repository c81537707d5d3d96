from django.contrib import admin

from donations.models import Donation, DonationSwitch, StripeCharge, StripeEvent
from ledger.admin import ReadOnlyAdmin


@admin.register(Donation)
class DonationAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "created_at", "frequency", "amount", "status", "anonymous")
    list_filter = ("status", "frequency", "anonymous")
    search_fields = ("=public_id", "=checkout_session_id", "=subscription_id")
    exclude = ("email", "donor_name")  # personal data stays out of the admin


@admin.register(StripeCharge)
class StripeChargeAdmin(ReadOnlyAdmin):
    list_display = ("charge_id", "charged_at", "amount", "fee", "amount_refunded", "disputed")
    search_fields = ("=charge_id", "=payment_intent_id", "=balance_transaction_id")


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "type", "status", "attempts", "received_at")
    list_filter = ("status",)
    search_fields = ("=event_id",)


@admin.register(DonationSwitch)
class DonationSwitchAdmin(admin.ModelAdmin):
    """The pause switch for surges: on, with a message and where to give instead."""

    list_display = ("paused", "message", "redirect_url", "updated_at")

    def has_add_permission(self, request):
        return not DonationSwitch.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
