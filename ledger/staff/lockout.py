"""Limits on failed password logins (docs/permissions.md, "Lockout and throttling").

Three counts, each over ``STAFF_LOGIN_COOLOFF_MINUTES``:

- one username from one client address: ``STAFF_LOGIN_FAILURE_LIMIT`` failures lock that
  pair out, so one guesser is stopped without locking the account's owner out elsewhere;
- one username from every address: ``STAFF_LOGIN_USERNAME_FAILURE_LIMIT`` failures lock the
  username out everywhere, so guesses spread over many addresses stop too;
- every failed login to the staff side: past ``STAFF_LOGIN_GLOBAL_FAILURE_LIMIT``, all
  password logins are refused (429) until the window ends.

The first two are django-axes' records (:class:`StaffLockoutHandler`, so its reset
commands and admin pages lift them); the global count lives in the shared cache (Redis in
production), one counter per fixed window that every web process increments.
"""

from __future__ import annotations

import logging
import math
import time

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_parameters, get_client_username, get_failure_limit
from django.conf import settings
from django.core.cache import cache
from django.db.models import Sum

logger = logging.getLogger(__name__)

PAIR = frozenset({"username", "ip_address"})
USERNAME = frozenset({"username"})


class StaffLockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit of its own for the username across addresses.

    Axes compares one number, the largest count among its lockout parameters, with one
    limit. Here the count for the username and address pair is compared with
    ``AXES_FAILURE_LIMIT`` as before, and the username's count from every address with
    ``STAFF_LOGIN_USERNAME_FAILURE_LIMIT``: reaching that one counts as reaching the first.
    """

    def get_failures(self, request, credentials: dict | None = None) -> int:
        username = get_client_username(request, credentials)
        parameters = get_client_parameters(
            username, request.axes_ip_address, request.axes_user_agent, request, credentials
        )
        counts = {
            frozenset(kwargs): attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for kwargs, attempts in zip(
                parameters, self.get_user_attempts(request, credentials), strict=True
            )
        }
        from_here = counts.get(PAIR, 0)
        if counts.get(USERNAME, 0) >= settings.STAFF_LOGIN_USERNAME_FAILURE_LIMIT:
            return max(from_here, get_failure_limit(request, credentials))
        return from_here


def _window() -> tuple[str, float]:
    """(cache key of the current window, seconds until it ends)."""
    length = settings.STAFF_LOGIN_COOLOFF_MINUTES * 60
    now = time.time()
    return f"staff-login-failures:{int(now // length)}", length - now % length


def logins_paused_for() -> int:
    """Seconds until password logins are accepted again, or 0 when they are."""
    key, left = _window()
    if (cache.get(key) or 0) >= settings.STAFF_LOGIN_GLOBAL_FAILURE_LIMIT:
        return max(1, math.ceil(left))
    return 0


def count_failed_login() -> None:
    """Count one failed password login towards the global limit."""
    key, left = _window()
    timeout = math.ceil(left) + 60
    cache.add(key, 0, timeout=timeout)
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        failures = 1
    if failures == settings.STAFF_LOGIN_GLOBAL_FAILURE_LIMIT:
        logger.warning(
            "staff login: %d failed logins in this %d-minute window; password logins are "
            "refused until it ends",
            failures,
            settings.STAFF_LOGIN_COOLOFF_MINUTES,
        )
