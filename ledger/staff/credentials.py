"""Credentials reset by someone else, and the pause on money that follows
(docs/permissions.md, "Credentials reset by someone else").

Whoever sets another staff member's password, or adds, removes or changes their second
factor, can log in as them. So when that happens to an account in use (one that has logged
in before) through the admin, a staff page, a command or the shell, the account moves no
money (``ledger.staff.roles.MONEY_CAPABILITIES``) for ``STAFF_CREDENTIAL_COOLOFF_HOURS``,
and the account's holder and every active admin are told by email. A person changing their
own password, or enrolling their own authenticator, pauses nothing; nor does setting up an
account that has never logged in.

And above ``DISBURSEMENT_TWO_PERSON_MIN`` nobody approves a request when one of the two
reset the other's credentials after the request was made or within the cooling-off before
it (:func:`approval_conflict`).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy

from ledger.books.posting import audit_record
from ledger.exceptions import MoneyRightsPaused
from ledger.models import AuditEvent, StaffCredentialReset
from ledger.staff.actor import acting_user, acting_via
from ledger.staff.per_transaction import transaction_scope
from ledger.staff.roles import Role

# What was changed, in the words of the refusal and the notice.
PASSWORD = "password"  # noqa: S105 (the word, not a password)
AUTHENTICATOR_ADDED = "authenticator app (added)"
AUTHENTICATOR_CHANGED = "authenticator app (changed)"
AUTHENTICATOR_REMOVED = "authenticator app (removed)"
RECOVERY_CODES = "recovery codes"
RECOVERY_CODES_REMOVED = "recovery codes (removed)"
# How a page names each (the stored word stays English, as audit details do).
CREDENTIAL_WORDS = {
    PASSWORD: pgettext_lazy("credential", "password"),
    AUTHENTICATOR_ADDED: pgettext_lazy("credential", "authenticator app (added)"),
    AUTHENTICATOR_CHANGED: pgettext_lazy("credential", "authenticator app (changed)"),
    AUTHENTICATOR_REMOVED: pgettext_lazy("credential", "authenticator app (removed)"),
    RECOVERY_CODES: pgettext_lazy("credential", "recovery codes"),
    RECOVERY_CODES_REMOVED: pgettext_lazy("credential", "recovery codes (removed)"),
}

# Audit actions that show an account has been logged in to (``ledger.staff.login_audit``).
LOGIN_ACTIONS = ("staff.login", "staff.password_accepted")
REQUESTER_RESET_APPROVER = "requester_reset_approver"
APPROVER_RESET_REQUESTER = "approver_reset_requester"


def cooloff() -> dt.timedelta:
    return dt.timedelta(hours=settings.STAFF_CREDENTIAL_COOLOFF_HOURS)


def _when(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


def account_in_use(user_id: int, *, using: str = "default") -> bool:
    """Logged in to at least once: a last login, or a login in the audit log (which an
    admin cannot clear as they can the last login)."""
    users = get_user_model()._default_manager.using(using)
    if users.filter(pk=user_id, last_login__isnull=False).exists():
        return True
    events = AuditEvent.objects.using(using).filter(object_type="user", object_id=str(user_id))
    return events.filter(action__in=LOGIN_ACTIONS).exists()


def credential_changed(user_id: int, what: str, *, using: str = "default"):
    """Called, inside the change's transaction, when an account's password or second factor
    changed. Pauses its money rights (and schedules the notices) when someone other than its
    holder made the change to an account in use; returns the pause, or None."""
    actor = acting_user()
    if actor is not None and actor.pk == user_id:
        return None
    if not account_in_use(user_id, using=using):
        return None
    now = timezone.now()
    reset = StaffCredentialReset.objects.using(using).create(
        user_id=user_id, reset_by=actor, what=what, at=now, until=now + cooloff()
    )
    hours = settings.STAFF_CREDENTIAL_COOLOFF_HOURS
    details = {"what": what, "hours": hours, "via": acting_via()}
    audit_record(actor, "user", user_id, "staff.money_rights_paused", details)
    _notify_on_commit(reset, using)
    return reset


def money_rights_paused(user) -> StaffCredentialReset | None:
    """The reset that pauses the user's money rights longest, if one still does."""
    if user is None or user.pk is None:
        return None
    active = StaffCredentialReset.objects.filter(user_id=user.pk, until__gt=timezone.now())
    return active.select_related("reset_by").order_by("-until", "-id").first()


def _by(reset: StaffCredentialReset) -> str:
    """Who reset it, in the active language (English in the notice emails' task)."""
    return reset.reset_by.username if reset.reset_by else gettext("a command on the server")


def pause_reason(reset: StaffCredentialReset) -> str:
    """The refusal as the page shows it, in the page's language."""
    return gettext(
        "This account cannot move money until %(until)s: its %(what)s was changed by "
        "%(by)s on %(at)s, and money waits %(hours)s hours after someone else resets a "
        "person's credentials."
    ) % {
        "until": _when(reset.until),
        "what": CREDENTIAL_WORDS.get(reset.what, reset.what),
        "by": _by(reset),
        "at": _when(reset.at),
        "hours": settings.STAFF_CREDENTIAL_COOLOFF_HOURS,
    }


def money_rights_refusal(user, capability) -> MoneyRightsPaused | None:
    """The refusal (audited) of a money capability the user's role grants, while paused."""
    reset = money_rights_paused(user)
    if reset is None:
        return None
    details = {"capability": str(capability), "paused_by": reset.what}
    audit_record(user, "user", user.pk, "staff.money_rights_refused", details)
    return MoneyRightsPaused(pause_reason(reset))


def approval_conflict(*, approver_id: int, requester_id: int, requested_at) -> str | None:
    """Whether one of the two reset the other's credentials at or after
    ``requested_at − STAFF_CREDENTIAL_COOLOFF_HOURS``: which one, or None."""
    recent = StaffCredentialReset.objects.filter(at__gte=requested_at - cooloff())
    if recent.filter(user_id=approver_id, reset_by_id=requester_id).exists():
        return REQUESTER_RESET_APPROVER
    if recent.filter(user_id=requester_id, reset_by_id=approver_id).exists():
        return APPROVER_RESET_REQUESTER
    return None


# Notices --------------------------------------------------------------------------------


def _notify_on_commit(reset: StaffCredentialReset, using: str) -> None:
    """One notice for all the resets of one account in one transaction (the password and
    the devices a command resets together), sent once it commits."""
    scope = transaction_scope(using)
    key = ("credential notice", reset.user_id)
    if key in scope:
        scope[key].append(reset.pk)
        return
    ids = scope[key] = [reset.pk]
    transaction.on_commit(lambda: _send_later(ids), using=using)


def _send_later(ids: list[int]) -> None:
    from ledger.tasks import send_credential_reset_notices

    send_credential_reset_notices.delay(ids)


def _admins_to_tell(account) -> list[str]:
    admins = get_user_model()._default_manager.filter(is_active=True)
    admins = admins.filter(Q(is_superuser=True) | Q(groups__name=Role.ADMIN.value))
    admins = admins.exclude(pk=account.pk)
    return sorted(set(admins.exclude(email="").values_list("email", flat=True)))


def notices_send(reset_ids: list[int]) -> int:
    """Email the account's holder (if it has an address) and every other active admin about
    these resets of one account; returns how many emails went out."""
    resets = list(
        StaffCredentialReset.objects.filter(pk__in=reset_ids)
        .select_related("user", "reset_by")
        .order_by("at", "id")
    )
    if not resets:
        return 0
    account = resets[0].user
    what = ", ".join(dict.fromkeys(reset.what for reset in resets))
    by = ", ".join(dict.fromkeys(_by(reset) for reset in resets))
    until = max(reset.until for reset in resets)
    audit_url = (
        f"{settings.SITE_URL.rstrip('/')}/staff/audit/?object_type=user&object_id={account.pk}"
    )
    subject = f"{settings.FUND_NAME} staff: credentials of {account.username} reset"
    body = (
        f"The {what} of the staff account {account.username} was changed by {by} on "
        f"{_when(resets[0].at)}.\n\n"
        f"Until {_when(until)} this account cannot request, approve or pay disbursements, "
        "or record returns, forfeitures or gifts.\n\n"
        f"If {account.username} did not ask for this, someone may be trying to act in their "
        "name: tell the other admins, and read the account's audit history:\n"
        f"{audit_url}\n"
    )
    recipients = ([account.email] if account.email else []) + _admins_to_tell(account)
    messages = [
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
        for address in dict.fromkeys(recipients)
    ]
    if not messages:
        return 0
    return get_connection().send_messages(messages) or 0
