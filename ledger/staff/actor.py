"""Who is acting, for the audit of changes that arrive by signal (``ledger.staff.security_audit``).

``config.middleware.ActingStaffMiddleware`` holds the request in a context variable while
it is served, its user already loaded. A change saved meanwhile is the request user's doing,
through the Django admin or a staff page; a change made with no request being served (a
management command, the shell, a task run by the worker) is the system's: actor None.
"""

from __future__ import annotations

from contextvars import ContextVar, Token

ADMIN = "admin"
STAFF_PAGE = "staff page"
COMMAND_OR_SHELL = "command or shell"

_request: ContextVar[object | None] = ContextVar("acting_request", default=None)


def acting_begin(request) -> Token:
    """Called by the middleware before the view, with the user loaded: loading it later, in
    the middle of a change to that very user, could read the changed row."""
    user = getattr(request, "user", None)
    if user is not None:
        user.is_authenticated  # noqa: B018 (reading it loads the lazy user)
    return _request.set(request)


def acting_end(token: Token) -> None:
    _request.reset(token)


def acting_user():
    """The authenticated user of the request being served, or None (the system)."""
    request = _request.get()
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def acting_via() -> str:
    """``"admin"``, ``"staff page"`` or ``"command or shell"``: how the change came."""
    request = _request.get()
    if request is None:
        return COMMAND_OR_SHELL
    match = getattr(request, "resolver_match", None)
    if match is not None and ADMIN in match.app_names:
        return ADMIN
    return STAFF_PAGE
