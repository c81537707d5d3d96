from django.apps import AppConfig


class DonationsConfig(AppConfig):
    name = "donations"
    verbose_name = "Donations"
    # This app's records checked against the books by verify_ledger
    # (ledger.books.subledgers).
    subledger_checks = (
        "donations.offline.subledger.check_offline_gifts",
        "donations.reconciliation.subledger.check_stripe_charges",
        "donations.reconciliation.subledger.check_stripe_refunds_and_disputes",
    )
