"""Staff pages for cases, disbursements, the audit history and the journal, under /staff/."""

from django.urls import include, path

from ledger.casework import books_views, case_views, opening_views
from ledger.casework import correction_views as corrections
from ledger.casework import lists as lists
from ledger.casework import views as v

app_name = "casework"

# The pages of one case, under cases/<public_id>/.
case_pages = [
    path("", v.case_detail, name="case"),
    path("identity/", v.case_edit_identity, name="case_identity"),
    path("court-date/", case_views.case_court_date, name="case_court_date"),
    path("close/", v.case_close_view, name="case_close"),
    path("disburse/", v.disbursement_new, name="disbursement_new"),
]

# The pages of one disbursement, under disbursements/<pk>/.
disbursement_pages = [
    path("", v.disbursement_detail, name="disbursement"),
    path("approve/", v.disbursement_approve_view, name="approve"),
    path("pay/", v.disbursement_pay_view, name="pay"),
    path("cancel/", v.disbursement_cancel_view, name="cancel"),
    path("return/", v.disbursement_return_view, name="return"),
    path("forfeit/", v.disbursement_forfeit_view, name="forfeit"),
    path("void/", corrections.void_view, name="void"),
    path("correct-payment/", corrections.payment_correction_view, name="correct_payment"),
    path("undo-outcome/", corrections.outcome_correction_view, name="undo_outcome"),
    path("corrections/<int:correction>/apply/", corrections.apply_view, name="correction_apply"),
    path(
        "corrections/<int:correction>/withdraw/",
        corrections.withdraw_view,
        name="correction_withdraw",
    ),
]

urlpatterns = [
    path("periods/", books_views.periods, name="periods"),
    path("opening-balances/", opening_views.opening_balances, name="opening_balances"),
    path("liquidity/", books_views.liquidity, name="liquidity"),
    path("cases/", lists.CaseListView.as_view(), name="cases"),
    path("cases/new/", v.case_new, name="case_new"),
    path("cases/<uuid:public_id>/", include(case_pages)),
    path("disbursements/", lists.DisbursementListView.as_view(), name="disbursements"),
    path("disbursements/queue/", lists.ApprovalQueueView.as_view(), name="queue"),
    path("disbursements/outstanding/", lists.OutstandingView.as_view(), name="outstanding"),
    path("disbursements/returns/", lists.OutcomeListView.as_view(), name="returns"),
    path("disbursements/<int:pk>/", include(disbursement_pages)),
    path("audit/", lists.AuditListView.as_view(), name="audit"),
    path("journal/", lists.JournalListView.as_view(), name="journal"),
]
