from django.urls import path

from donations import staff_views, views

app_name = "donations"

urlpatterns = [
    path("donate/", views.donate, name="donate"),
    path("donate/thanks/<uuid:public_id>/", views.thanks, name="thanks"),
    path("donate/thanks/<uuid:public_id>/status.json", views.donation_status, name="status"),
    path("donate/monthly/stop/<str:token>/", views.stop_monthly, name="stop_monthly"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
    path("staff/", staff_views.staff_home, name="staff_home"),
    path("staff/stripe/events/", staff_views.StripeEventListView.as_view(), name="staff_events"),
    path(
        "staff/reconciliation/runs/",
        staff_views.ReconciliationRunListView.as_view(),
        name="staff_runs",
    ),
    path(
        "staff/reconciliation/discrepancies/",
        staff_views.DiscrepancyListView.as_view(),
        name="staff_discrepancies",
    ),
    path(
        "staff/reconciliation/discrepancies/<int:pk>/resolve/",
        staff_views.discrepancy_resolve_view,
        name="staff_discrepancy_resolve",
    ),
    path("staff/gifts/", staff_views.OfflineGiftListView.as_view(), name="staff_gifts"),
    path("staff/gifts/new/", staff_views.offline_gift_new, name="staff_gift_new"),
    path(
        "staff/gifts/<int:pk>/bounced/",
        staff_views.offline_gift_bounced_view,
        name="staff_gift_bounced",
    ),
    path(
        "staff/stripe/events/<int:pk>/retry/",
        staff_views.stripe_event_retry,
        name="staff_event_retry",
    ),
]
