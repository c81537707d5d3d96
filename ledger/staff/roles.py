"""Staff roles and what each may do: the one place the permission matrix lives.

Roles are Django groups with these names (created by a data migration). A user's
capabilities are the union over their roles; a superuser holds the ``admin`` role. Views
check a capability once, in the ``ledger.staff.access.staff_view`` decorator, and services
check it again with :func:`require`, so a task, a command or a future view cannot skip it.
Money rights pause after someone else resets an account's credentials
(``ledger.staff.credentials``). ``docs/permissions.md`` prints the same matrix for people.
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
    CLOSE_MONTH = "close_month"  # close the books through a month that has ended
    CLOSE_YEAR = "close_year"  # close a year
    OPEN_BOOKS = "open_books"  # bring the opening balances in from a trial balance, once
    MODERATE_WALL = "moderate_wall"  # approve and remove donor wall entries
    CORRECT_ENTRIES = "correct_entries"  # propose voiding or correcting a paid disbursement


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
            C.CLOSE_MONTH,
            C.CORRECT_ENTRIES,
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
            C.CORRECT_ENTRIES,
        }
    ),
    Role.ADMIN: frozenset(Capability),
}

# What moves money or records it moving: paused while someone else's reset of the account's
# credentials cools off (``ledger.staff.credentials``).
MONEY_CAPABILITIES = frozenset(
    {
        C.REQUEST_DISBURSEMENT,
        C.APPROVE_DISBURSEMENT,
        C.PAY_DISBURSEMENT,
        C.RECORD_OUTCOME,
        C.RECORD_OFFLINE_GIFT,
        C.CORRECT_ENTRIES,
    }
)
# What a staff page may do (by POST) only with the second factor entered within the last
# STAFF_FRESH_OTP_SECONDS (``ledger.staff.access``).
FRESH_SECOND_FACTOR = frozenset({C.APPROVE_DISBURSEMENT, C.PAY_DISBURSEMENT, C.CORRECT_ENTRIES})


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


def role_capabilities(user) -> frozenset[Capability]:
    """What the user's roles grant, whether or not paused."""
    caps: set[Capability] = set()
    for role in user_roles(user):
        caps |= MATRIX[role]
    return frozenset(caps)


def user_capabilities(user) -> frozenset[Capability]:
    """What the user may do now: their roles' capabilities, less the money ones while a
    reset of their credentials by someone else cools off."""
    caps = role_capabilities(user)
    if caps & MONEY_CAPABILITIES:
        # Read once per user object, as the roles are: a page asks for every row.
        paused = getattr(user, "_bailfund_money_paused", None)
        if paused is None:
            from ledger.staff.credentials import money_rights_paused

            paused = user._bailfund_money_paused = money_rights_paused(user) is not None
        if paused:
            caps -= MONEY_CAPABILITIES
    return caps


def user_can(user, capability: Capability) -> bool:
    return capability in user_capabilities(user)


def require(user, capability: Capability) -> None:
    """Raise :class:`NotPermitted` unless the user holds a role granting ``capability``;
    :class:`~ledger.exceptions.MoneyRightsPaused` (saying why and until when, and audited)
    for a money capability while a reset of their credentials by someone else cools off."""
    if capability not in role_capabilities(user):
        # Logged with Django's 403, never shown on it: English, like every log line. (The
        # periods page, which shows a NotPermitted, checks the same capability first.)
        raise NotPermitted(f"Your role does not allow this ({capability.value.replace('_', ' ')}).")
    if capability in MONEY_CAPABILITIES:
        from ledger.staff.credentials import money_rights_refusal

        refusal = money_rights_refusal(user, capability)
        if refusal is not None:
            raise refusal
