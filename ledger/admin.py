"""Django admin for the books: read-only. Corrections are reversing transactions posted
through ledger.books.posting, never edits. The staff security tables are read-only here
too: a pause on money rights ends by itself (ledger.staff.credentials)."""

from django.contrib import admin

from ledger.models import (
    Account,
    AuditEvent,
    Checkpoint,
    JournalTransaction,
    MonthlyTotal,
    Posting,
    StaffCredentialReset,
    StaffLoginAddress,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PostingInline(admin.TabularInline):
    model = Posting
    fields = ("account", "amount")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "type", "currency", "balance", "is_open")
    list_filter = ("type", "is_open")


@admin.register(JournalTransaction)
class JournalTransactionAdmin(ReadOnlyAdmin):
    list_display = ("sequence", "date", "kind", "memo", "source_ref", "recorded_at")
    list_filter = ("kind",)
    search_fields = ("=sequence", "=source_ref", "=idempotency_key")
    date_hierarchy = "date"
    inlines = [PostingInline]
    list_select_related = False
    show_full_result_count = False


@admin.register(MonthlyTotal)
class MonthlyTotalAdmin(ReadOnlyAdmin):
    list_display = ("month", "account", "debits", "credits", "postings_count")
    list_select_related = ("account",)
    list_filter = ("account",)


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "sequence", "hash")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")
    list_select_related = ("actor",)


@admin.register(StaffCredentialReset)
class StaffCredentialResetAdmin(ReadOnlyAdmin):
    list_display = ("at", "user", "what", "reset_by", "until")
    list_select_related = ("user", "reset_by")


@admin.register(StaffLoginAddress)
class StaffLoginAddressAdmin(ReadOnlyAdmin):
    list_display = ("at", "audit_sequence", "address")
    search_fields = ("=audit_sequence", "=address")
