from django.contrib import admin

from donations.models import Donation, DonationSwitch, StripeCharge, StripeEvent
from donations.wall import wall_entries_approve, wall_entries_remove
from ledger.admin import ReadOnlyAdmin
from ledger.staff.roles import Capability, user_can


class WallFilter(admin.SimpleListFilter):
    title = "donor wall"
    parameter_name = "wall"

    def lookups(self, request, model_admin):
        return (("waiting", "Waiting for approval"), ("shown", "On the wall"))

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(show_on_wall=True, wall_approved_at__isnull=True)
        if self.value() == "shown":
            return queryset.filter(wall_approved_at__isnull=False)
        return queryset


@admin.register(Donation)
class DonationAdmin(ReadOnlyAdmin):
    list_display = (
        "public_id",
        "created_at",
        "frequency",
        "amount",
        "status",
        "anonymous",
        "display_name",
        "message",
        "wall_approved_at",
    )
    list_filter = (WallFilter, "status", "frequency", "anonymous")
    search_fields = ("=public_id", "=checkout_session_id", "=subscription_id")
    exclude = ("email", "donor_name")  # personal data stays out of the admin
    actions = ("approve_for_wall", "remove_from_wall")

    def has_moderate_wall_permission(self, request) -> bool:
        return user_can(request.user, Capability.MODERATE_WALL)

    @admin.action(description="Approve for the public donor wall", permissions=["moderate_wall"])
    def approve_for_wall(self, request, queryset):
        count = wall_entries_approve(donations=queryset, actor=request.user)
        self.message_user(request, f"{count} entr{'y' if count == 1 else 'ies'} approved.")

    @admin.action(description="Remove from the public donor wall", permissions=["moderate_wall"])
    def remove_from_wall(self, request, queryset):
        count = wall_entries_remove(donations=queryset, actor=request.user)
        self.message_user(request, f"{count} entr{'y' if count == 1 else 'ies'} removed.")


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
