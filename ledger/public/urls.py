from django.urls import path

from ledger.public import views

app_name = "ledger"

urlpatterns = [
    path("", views.home, name="home"),
    path("transparency/", views.transparency, name="transparency"),
    path("transparency.json", views.transparency_json, name="transparency_json"),
    path("transparency/monthly.csv", views.transparency_monthly_csv, name="transparency_csv"),
    path(
        "transparency/data-dictionary.csv",
        views.transparency_dictionary,
        name="transparency_dictionary",
    ),
    path(
        "transparency/checkpoints.json",
        views.transparency_checkpoints,
        name="transparency_checkpoints",
    ),
]
