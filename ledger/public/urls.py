from django.urls import include, path

from ledger.public import views

app_name = "ledger"

# The transparency page's open data files, under transparency/.
open_data = [
    path("monthly.csv", views.transparency_monthly_csv, name="transparency_csv"),
    path("data-dictionary.csv", views.transparency_dictionary, name="transparency_dictionary"),
    path("checkpoints.json", views.transparency_checkpoints, name="transparency_checkpoints"),
    path("tree-heads.jsonl", views.transparency_tree_heads, name="transparency_tree_heads"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("transparency/", views.transparency, name="transparency"),
    path("transparency.json", views.transparency_json, name="transparency_json"),
    path("transparency/", include(open_data)),
]
