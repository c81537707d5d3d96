from django.contrib import admin
from django.urls import include, path

from ledger.staff_auth import StaffAdminSite

# The admin behind the staff login and its second factor (see ledger.staff_auth).
admin.site.__class__ = StaffAdminSite

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),  # the language switch (set_language)
    path("staff/", include("ledger.staff_urls")),
    path("staff/", include("ledger.case_urls")),
    path("", include("ledger.urls")),
    path("", include("donations.urls")),
]
