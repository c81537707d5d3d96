"""The staff login pages, under /staff/ (the staff pages themselves live with their apps)."""

from django.urls import path

from ledger.staff import auth as staff_auth

app_name = "staff_auth"

urlpatterns = [
    path("login/", staff_auth.login, name="login"),
    path("login/verify/", staff_auth.login_verify, name="verify"),
    path("login/reverify/", staff_auth.reverify, name="reverify"),
    path("enrol/", staff_auth.enrol, name="enrol"),
    path("recovery-codes/", staff_auth.recovery_codes, name="recovery_codes"),
    path("logout/", staff_auth.logout, name="logout"),
]
