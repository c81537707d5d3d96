"""Staff pages for cases, disbursements, the audit history and the journal, under /staff/."""

from django.urls import path

from ledger.casework import lists as lists
from ledger.casework import views as v

app_name = "casework"

urlpatterns = [
    path("cases/", lists.CaseListView.as_view(), name="cases"),
    path("cases/new/", v.case_new, name="case_new"),
    path("cases/<uuid:public_id>/", v.case_detail, name="case"),
    path("cases/<uuid:public_id>/identity/", v.case_edit_identity, name="case_identity"),
    path("cases/<uuid:public_id>/close/", v.case_close_view, name="case_close"),
    path("cases/<uuid:public_id>/disburse/", v.disbursement_new, name="disbursement_new"),
    path("disbursements/", lists.DisbursementListView.as_view(), name="disbursements"),
    path("disbursements/queue/", lists.ApprovalQueueView.as_view(), name="queue"),
    path("disbursements/outstanding/", lists.OutstandingView.as_view(), name="outstanding"),
    path("disbursements/returns/", lists.OutcomeListView.as_view(), name="returns"),
    path("disbursements/<int:pk>/", v.disbursement_detail, name="disbursement"),
    path("disbursements/<int:pk>/approve/", v.disbursement_approve_view, name="approve"),
    path("disbursements/<int:pk>/pay/", v.disbursement_pay_view, name="pay"),
    path("disbursements/<int:pk>/cancel/", v.disbursement_cancel_view, name="cancel"),
    path("disbursements/<int:pk>/return/", v.disbursement_return_view, name="return"),
    path("disbursements/<int:pk>/forfeit/", v.disbursement_forfeit_view, name="forfeit"),
    path("audit/", lists.AuditListView.as_view(), name="audit"),
    path("journal/", lists.JournalListView.as_view(), name="journal"),
]
