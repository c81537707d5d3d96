from django.urls import path

from donations.bank import views as bank
from donations.checkout import proof
from donations.checkout import views as checkout
from donations.events import views as events
from donations.intake import views as intake
from donations.offline import views as offline
from donations.reconciliation import views as reconciliation
from donations.statements import views as statements
from donations.wall_views import wall_moderation

app_name = "donations"

urlpatterns = [
    path("donate/", checkout.donate, name="donate"),
    path("donate/thanks/<uuid:public_id>/", checkout.thanks, name="thanks"),
    path("donate/thanks/<uuid:public_id>/status.json", checkout.donation_status, name="status"),
    path("donate/monthly/stop/<str:token>/", checkout.stop_monthly, name="stop_monthly"),
    path("donate/monthly/card/<str:token>/", checkout.update_card, name="update_card"),
    path("donate/proof/<str:token>/", proof.proof_page, name="proof"),
    path("donate/proof/<str:token>/proof.json", proof.proof_json, name="proof_json"),
    path("donate/statement/<str:token>/", statements.statement_page, name="statement"),
    path("stripe/webhook/", intake.stripe_webhook, name="stripe_webhook"),
    path("staff/", reconciliation.staff_home, name="staff_home"),
    path("staff/statements/", statements.statement_runs, name="staff_statement_runs"),
    path("staff/stripe/events/", events.StripeEventListView.as_view(), name="staff_events"),
    path(
        "staff/stripe/events/<int:pk>/retry/",
        events.stripe_event_retry_view,
        name="staff_event_retry",
    ),
    path("staff/reconciliation/run-now/", reconciliation.reconcile_now, name="staff_reconcile_now"),
    path(
        "staff/reconciliation/runs/",
        reconciliation.ReconciliationRunListView.as_view(),
        name="staff_runs",
    ),
    path(
        "staff/reconciliation/discrepancies/",
        reconciliation.DiscrepancyListView.as_view(),
        name="staff_discrepancies",
    ),
    path(
        "staff/reconciliation/discrepancies/<int:pk>/resolve/",
        reconciliation.discrepancy_resolve_view,
        name="staff_discrepancy_resolve",
    ),
    path("staff/gifts/", offline.OfflineGiftListView.as_view(), name="staff_gifts"),
    path("staff/wall/", wall_moderation, name="staff_wall"),
    path("staff/gifts/new/", offline.offline_gift_new, name="staff_gift_new"),
    path(
        "staff/gifts/<int:pk>/bounced/",
        offline.offline_gift_bounced_view,
        name="staff_gift_bounced",
    ),
    path("staff/bank/", bank.BankStatementListView.as_view(), name="staff_bank_statements"),
    path("staff/bank/import/", bank.statement_import_view, name="staff_bank_import"),
    path("staff/bank/mappings/", bank.BankCsvMappingListView.as_view(), name="staff_bank_mappings"),
    path("staff/bank/mappings/new/", bank.mapping_new_view, name="staff_bank_mapping_new"),
    path("staff/bank/statements/<int:pk>/", bank.statement_view, name="staff_bank_statement"),
    path(
        "staff/bank/statements/<int:pk>/propose/",
        bank.statement_propose_view,
        name="staff_bank_propose",
    ),
    path("staff/bank/statements/<int:pk>/report/", bank.report_view, name="staff_bank_report"),
    path(
        "staff/bank/matches/<int:pk>/confirm/",
        bank.match_confirm_view,
        name="staff_bank_match_confirm",
    ),
    path(
        "staff/bank/matches/<int:pk>/reject/",
        bank.match_reject_view,
        name="staff_bank_match_reject",
    ),
]
