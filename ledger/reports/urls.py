"""The financial statements' staff pages, under /staff/reports/."""

from django.urls import path

from ledger.reports import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.index, name="index"),
    path("reports/trial-balance/", views.trial_balance, name="trial_balance"),
    path("reports/financial-position/", views.financial_position, name="financial_position"),
    path("reports/activities/", views.activities, name="activities"),
    path("reports/bail-roll-forward/", views.bail_roll_forward, name="bail_roll_forward"),
    path("reports/activity-by-county/", views.activity_by_county, name="activity_by_county"),
    path("reports/activity-by-court/", views.activity_by_court, name="activity_by_court"),
]
