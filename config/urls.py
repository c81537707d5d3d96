from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from config import health
from ledger.staff.auth import StaffAdminSite

# The admin behind the staff login and its second factor (see ledger.staff.auth).
admin.site.__class__ = StaffAdminSite

urlpatterns = [
    path("admin/", admin.site.urls),
    # The language switch in every page's footer: Django's view, which sets the language
    # cookie on a POST and redirects only to this site (url_has_allowed_host_and_scheme).
    # Exempt from CSRF because the most a forged request can do is change the language
    # someone reads the site in; in exchange no page needs a per-visitor token for it, and
    # the transparency page is served the same to everyone (config.middleware). Every
    # form that does something (a gift, a stop link, the staff pages) keeps its token.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    # Health, for load balancers and supervisors (config.health).
    path("healthz", health.healthz, name="healthz"),
    path("healthz/live", health.liveness, name="liveness"),
    path("staff/", include("ledger.staff.urls")),
    path("staff/", include("ledger.casework.urls")),
    path("staff/", include("ledger.public.release_urls")),
    path("staff/", include("ledger.reports.urls")),
    path("", include("ledger.public.urls")),
    path("", include("donations.urls")),
]
