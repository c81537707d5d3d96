"""The one place staff views check access.

Every staff page names the capability it needs, once: function views with
``@staff_view(Capability.X)``, class-based views by inheriting :class:`StaffViewMixin` and
setting ``required_capability``. For each request:

- nobody logged in: the login page, which comes back here afterwards;
- a password but no second factor yet: the code page, or enrolment for a user who has no
  authenticator app yet;
- both factors but no role granting the capability (or no role at all): 403;
- a money capability paused by a reset of the account's credentials by someone else
  (``ledger.staff.credentials``): 403, with the reason and the end of the pause;
- a POST needing a fresh second factor (``roles.FRESH_SECOND_FACTOR``: approve, pay) when
  the session's was entered more than ``STAFF_FRESH_OTP_SECONDS`` ago: the page that asks
  for a code again (``staff_auth:reverify``), which then sends the person back to the page
  they were on;
- allowed: the page, and the session's idle expiry starts again.

Whatever its activity, a session ends ``STAFF_SESSION_MAX_SECONDS`` after its password
login (:func:`end_expired_session`): the next staff request logs it out and sends the
person to the login page.

The services behind the pages check the capability again (``ledger.staff.roles.require``), so a
task, a command or a view that forgot its decorator still cannot act outside its role.
"""

from __future__ import annotations

import math
import time
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext, gettext_noop
from django_otp.plugins.otp_totp.models import TOTPDevice

from ledger.books.posting import audit_record
from ledger.exceptions import MoneyRightsPaused, NotPermitted
from ledger.staff.roles import FRESH_SECOND_FACTOR, Capability, require, user_roles


def is_verified(user) -> bool:
    """Logged in with a password and a second factor in this session."""
    return bool(user.is_authenticated and getattr(user, "is_verified", lambda: False)())


def has_authenticator(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def second_step_url(user) -> str:
    """Where a password-only session goes next: the code page, or enrolment."""
    return reverse("staff_auth:verify" if has_authenticator(user) else "staff_auth:enrol")


# When the session's password login happened (seconds since the epoch).
LOGIN_TIME_SESSION_KEY = "staff_login_time"
SESSION_ENDED = gettext_noop("Your session reached its time limit. Log in again.")


def record_login_time(request: HttpRequest) -> None:
    """Start the session's absolute lifetime; the login calls it once the password is in."""
    request.session[LOGIN_TIME_SESSION_KEY] = int(time.time())


def session_seconds_left(request: HttpRequest) -> float:
    """Seconds before the session reaches ``STAFF_SESSION_MAX_SECONDS``. A session that
    began before its login time was recorded (an older release) counts from now."""
    started = request.session.get(LOGIN_TIME_SESSION_KEY)
    if not isinstance(started, int):
        record_login_time(request)
        started = request.session[LOGIN_TIME_SESSION_KEY]
    return settings.STAFF_SESSION_MAX_SECONDS - (time.time() - started)


def end_expired_session(request: HttpRequest) -> bool:
    """Log out a session past its absolute lifetime, however active it has been; True if
    it did. Called before anything else on every staff page, the second-step pages and the
    admin."""
    if not request.user.is_authenticated or session_seconds_left(request) > 0:
        return False
    auth_logout(request)
    messages.info(request, gettext(SESSION_ENDED))
    return True


# When the session's second factor was last entered: at login, enrolment or re-verification.
SECOND_FACTOR_TIME_SESSION_KEY = "staff_second_factor_time"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def record_second_factor_time(request: HttpRequest) -> None:
    request.session[SECOND_FACTOR_TIME_SESSION_KEY] = int(time.time())


def second_factor_is_fresh(request: HttpRequest) -> bool:
    """Entered within ``STAFF_FRESH_OTP_SECONDS``; a session without the time recorded
    (verified before it was) is not fresh."""
    entered = request.session.get(SECOND_FACTOR_TIME_SESSION_KEY)
    if not isinstance(entered, int):
        return False
    return time.time() - entered <= settings.STAFF_FRESH_OTP_SECONDS


def _page_they_were_on(request: HttpRequest) -> str:
    """Where the form just posted was: the referring page of this site, else the staff home."""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        if parts.path.startswith("/") and not parts.path.startswith("//"):
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _ask_for_code_again(request: HttpRequest, capability: Capability) -> HttpResponse:
    details = {"capability": capability.value}
    audit_record(request.user, "user", request.user.pk, "staff.reverification_required", details)
    next_url = _page_they_were_on(request)
    return redirect(f"{reverse('staff_auth:reverify')}?{urlencode({'next': next_url})}")


def refresh_idle_expiry(request: HttpRequest) -> None:
    """The idle timer starts again, never reaching past the session's absolute lifetime."""
    left = math.ceil(session_seconds_left(request))
    request.session.set_expiry(max(1, min(settings.STAFF_SESSION_IDLE_SECONDS, left)))


def staff_access_refusal(
    request: HttpRequest, capability: Capability | None
) -> HttpResponse | None:
    """The response that refuses this request, or None when it may go ahead.

    ``capability=None`` asks only for a verified user holding some staff role (the
    account pages every role has). Lacking the capability raises :class:`NotPermitted`,
    which Django answers with 403.
    """
    user = request.user
    if not user.is_authenticated or end_expired_session(request):
        return redirect_to_login(request.get_full_path())
    if not is_verified(user):
        return redirect_to_login(request.get_full_path(), second_step_url(user))
    if capability is None:
        if not user_roles(user):
            # Logged with the 403, never shown on it: English, like every log line.
            raise NotPermitted("This account has no staff role.")
    else:
        try:
            require(user, capability)
        except MoneyRightsPaused as paused:
            context = {"reason": str(paused)}
            return render(request, "ledger/staff/refused.html", context, status=403)
        fresh_needed = capability in FRESH_SECOND_FACTOR and request.method not in SAFE_METHODS
        if fresh_needed and not second_factor_is_fresh(request):
            return _ask_for_code_again(request, capability)
    refresh_idle_expiry(request)
    return None


def staff_view(capability: Capability):
    """Decorate a function view with the capability it needs (see the module docstring)."""
    if not isinstance(capability, Capability):
        raise ImproperlyConfigured(f"staff_view needs a Capability, not {capability!r}.")

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            refusal = staff_access_refusal(request, capability)
            if refusal is not None:
                return refusal
            return view(request, *args, **kwargs)

        wrapped.required_capability = capability
        return wrapped

    return decorator


class StaffViewMixin:
    """For class-based staff views: put it first among the bases and set
    ``required_capability``. A view without one refuses everybody."""

    required_capability: Capability | None = None

    def dispatch(self, request, *args, **kwargs):
        if not isinstance(self.required_capability, Capability):
            raise ImproperlyConfigured(f"{type(self).__name__} sets no required_capability.")
        refusal = staff_access_refusal(request, self.required_capability)
        if refusal is not None:
            return refusal
        return super().dispatch(request, *args, **kwargs)


def capability_of(view) -> Capability | None:
    """The capability a resolved view callable requires, or None if it is not a staff view."""
    capability = getattr(view, "required_capability", None)
    if capability is None:
        capability = getattr(getattr(view, "view_class", None), "required_capability", None)
    return capability
