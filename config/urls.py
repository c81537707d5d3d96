from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("ledger.urls")),
    path("", include("donations.urls")),
]
