"""The staff page of public releases, under /staff/."""

from django.urls import path

from ledger.public import release_views

app_name = "releases"

urlpatterns = [path("releases/", release_views.release_list, name="list")]
