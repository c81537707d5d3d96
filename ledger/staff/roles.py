"""Staff roles and what each may do: the one place the permission matrix lives.

Roles are Django groups with these names (created by a data migration). A user's
capabilities are the union over their roles; a superuser holds the ``admin`` role. Views
check a capability once, in the ``ledger.staff.access.staff_view`` decorator, and services
check it again with :func:`require`, so a task, a command or a future view cannot skip it.
``docs/permissions.md`` prints the same matrix for people.
"""

from __future__ import annotations

from enum import StrEnum

from ledger.exceptions import NotPermitted


class Role(StrEnum):
    VIEWER = "viewer"
    BOOKKEEPER = "bookkeeper"
    CASE_MANAGER = "case_manager"
    APPROVER = "approver"
    ADMIN = "admin"


class Capability(StrEnum):
    VIEW_REPORTS = "view_reports"  # staff pages without identifying data; audit history
    VIEW_IDENTITY = "view_identity"  # names, dates of birth, booking and docket numbers, notes
    VIEW_CASE_DETAILS = "view_case_details"  # courts, exact dates, check numbers, outcome notes
    VIEW_JOURNAL = "view_journal"  # the books' journal, posting by posting
    MANAGE_CASES = "manage_cases"  # open, edit and close cases
    REQUEST_DISBURSEMENT = "request_disbursement"
    CANCEL_DISBURSEMENT = "cancel_disbursement"  # before payment only
    APPROVE_DISBURSEMENT = "approve_disbursement"
    PAY_DISBURSEMENT = "pay_disbursement"  # record that the instrument was issued
    RECORD_OUTCOME = "record_outcome"  # bail returned, court fees withheld, forfeiture
    RECORD_OFFLINE_GIFT = "record_offline_gift"  # checks and cash
    RECONCILE = "reconcile"  # retry Stripe events, run and resolve reconciliation


C = Capability
MATRIX: dict[Role, frozenset[Capability]] = {
    Role.VIEWER: frozenset({C.VIEW_REPORTS}),
    Role.BOOKKEEPER: frozenset(
        {
            C.VIEW_REPORTS,
            C.VIEW_CASE_DETAILS,
            C.VIEW_JOURNAL,
            C.RECORD_OFFLINE_GIFT,
            C.RECONCILE,
            C.RECORD_OUTCOME,
        }
    ),
    Role.CASE_MANAGER: frozenset(
        {
            C.VIEW_REPORTS,
            C.VIEW_IDENTITY,
            C.VIEW_CASE_DETAILS,
            C.MANAGE_CASES,
            C.REQUEST_DISBURSEMENT,
            C.CANCEL_DISBURSEMENT,
        }
    ),
    Role.APPROVER: frozenset(
        {
            C.VIEW_REPORTS,
            C.VIEW_CASE_DETAILS,
            C.APPROVE_DISBURSEMENT,
            C.PAY_DISBURSEMENT,
            C.CANCEL_DISBURSEMENT,
            C.RECORD_OUTCOME,
        }
    ),
    Role.ADMIN: frozenset(Capability),
}


def user_roles(user) -> frozenset[Role]:
    """The roles a user holds; none for anonymous or inactive users."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cache = getattr(user, "_bailfund_roles", None)
    if cache is None:
        names = set(user.groups.values_list("name", flat=True))
        cache = frozenset(role for role in Role if role.value in names)
        if user.is_superuser:
            cache |= {Role.ADMIN}
        user._bailfund_roles = cache
    return cache


def user_capabilities(user) -> frozenset[Capability]:
    caps: set[Capability] = set()
    for role in user_roles(user):
        caps |= MATRIX[role]
    return frozenset(caps)


def user_can(user, capability: Capability) -> bool:
    return capability in user_capabilities(user)


def require(user, capability: Capability) -> None:
    """Raise :class:`NotPermitted` unless the user holds a role granting ``capability``."""
    if not user_can(user, capability):
        raise NotPermitted(f"Your role does not allow this ({capability.value.replace('_', ' ')}).")
