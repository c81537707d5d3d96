"""Staff logins in the audit log, their client addresses kept apart for a short while
(docs/permissions.md, "The audit log" and "Login addresses").

- ``staff.password_accepted``: the password step passed (Django's ``user_logged_in``);
- ``staff.login``: the second factor too (``ledger.staff.auth``);
- ``staff.login_failed``: a password refused (Django's ``user_login_failed``), with the
  reason: ``password_refused`` (a wrong password, or an inactive account) or
  ``unknown_account`` (recorded without the username that was tried: it may be someone's
  name or email address, or another account's password typed in the wrong box), and
  ``locked_out`` when a lockout refused the attempt or began with it; or ``no_role`` (the
  right password for an account without a staff role).

A client address is personal data: it is never in the audit row. :class:`StaffLoginAddress`
keeps it with the event's sequence for ``STAFF_LOGIN_ADDRESS_RETENTION_DAYS``; the nightly
task ``ledger.tasks.purge_staff_login_addresses`` erases it after that.
"""

from __future__ import annotations

import datetime as dt
import ipaddress

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.utils import timezone

from ledger.books.posting import audit_record
from ledger.models import AuditEvent, StaffLoginAddress

# The object id of a failed login for a username that names no account.
UNKNOWN_ACCOUNT = "unknown"


def _client_address(request) -> str | None:
    if request is None or not getattr(request, "META", None):
        return None
    address = get_client_ip_address(request)
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


def login_event(request, actor, object_id, action: str, details: dict) -> AuditEvent:
    """Audit one login step and keep its client address beside it, in one transaction."""
    with transaction.atomic():
        event = audit_record(actor, "user", object_id, action, details)
        address = _client_address(request)
        if address is not None:
            StaffLoginAddress.objects.create(
                audit_sequence=event.sequence, address=address, at=event.at
            )
    return event


def login_refused_without_role(request, user) -> None:
    """The right password for an account that holds no staff role (``ledger.staff.auth``)."""
    login_event(request, None, user.pk, "staff.login_failed", {"reason": "no_role"})


def _logged_in(sender, request, user, **kwargs) -> None:
    login_event(request, user, user.pk, "staff.password_accepted", {})


def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    user_model = get_user_model()
    username = credentials.get(user_model.USERNAME_FIELD) or credentials.get("username")
    user = None
    if isinstance(username, str) and username:
        user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
    details = {
        "reason": "password_refused" if user is not None else "unknown_account",
        "locked_out": bool(getattr(request, "axes_locked_out", False)),
    }
    object_id = user.pk if user is not None else UNKNOWN_ACCOUNT
    login_event(request, None, object_id, "staff.login_failed", details)


def connect() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="ledger.staff.login_audit.logged_in")
    user_login_failed.connect(_login_failed, dispatch_uid="ledger.staff.login_audit.failed")


def login_addresses_purge(*, now: dt.datetime | None = None) -> int:
    """Erase the login addresses older than ``STAFF_LOGIN_ADDRESS_RETENTION_DAYS``; returns
    how many. The audit events stay."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.STAFF_LOGIN_ADDRESS_RETENTION_DAYS)
    deleted, _ = StaffLoginAddress.objects.filter(at__lt=cutoff).delete()
    return deleted
