from django.contrib import admin
from django.urls import include, path

from ledger.staff_auth import StaffAdminSite

# The admin behind the staff login and its second factor (see ledger.staff_auth).
admin.site.__class__ = StaffAdminSite

urlpatterns = [
    path("admin/", admin.site.urls),
    path("staff/", include("ledger.staff_urls")),
    path("", include("ledger.urls")),
    path("", include("donations.urls")),
]
