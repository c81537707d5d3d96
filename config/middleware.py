"""Request ids and the one log line per request.

Each request gets an id: the ``X-Request-ID`` a proxy in front set, when it is a plain
token, or a new uuid4. It is on every log line written while the request is served and on
the response, so a report ("the donate page failed at 14:02") leads to its log lines.

The request line names the route pattern (``donate/thanks/<uuid:public_id>/``), never the
path itself, the query string, the client address or the user agent: paths carry tokens
(a monthly gift's stop link) and addresses identify donors. For the same reason the
Procfile's gunicorn writes no access log of its own.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from django.core.signals import request_finished
from django.dispatch import receiver
from django.utils import translation
from django.utils.cache import patch_vary_headers

from config.logs import request_id_var

HEADER = "X-Request-ID"
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

logger = logging.getLogger("bailfund.request")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(HEADER, "")
        request_id = incoming if SAFE_REQUEST_ID.fullmatch(incoming) else str(uuid.uuid4())
        request.request_id = request_id
        # Cleared when the response is closed (request_finished), not on the way out of
        # here: Django logs a failed request's line after the middleware has returned.
        request_id_var.set(request_id)
        started = time.monotonic()
        response = self.get_response(request)
        response[HEADER] = request_id
        match = request.resolver_match
        route = match.route if match else ""
        # Load balancers probe /healthz every few seconds: not worth a line each.
        level = logging.DEBUG if route == "healthz" else logging.INFO
        logger.log(
            level,
            "%s %s %s",
            request.method,
            route or "(no route)",
            response.status_code,
            extra={
                "method": request.method,
                "route": route,
                "status": response.status_code,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
            },
        )
        return response


@receiver(request_finished)
def _forget_request_id(**kwargs) -> None:
    request_id_var.set(None)


class StatelessRoutesMiddleware:
    """Answers the public figures and Stripe's webhook before the middlewares only
    visitors' pages need.

    The open data (``/transparency.json``, the monthly CSV, the checkpoint list: the same
    for everyone), the transparency page (the same for everyone who reads it in one
    language) and Stripe's webhook (a signed POST from Stripe's servers) use no session,
    login, CSRF token or lockout. Placed right after WhiteNoise, which does the same for
    static files, this answers them without the session, locale, common, CSRF,
    authentication, second-factor, messages and throttling middlewares. Kept because without
    it the webhook intake and the transparency page miss their targets (docs/benchmarks.md,
    "Shortcuts kept"); tests compare its answers with the whole stack's. The middlewares
    before it (request
    ids, security headers, the content security policy) still apply; the host is still
    checked, frames are still refused and the length is still sent; the URLs stay in the
    apps' urls for ``reverse()`` and the views are the same functions, with their own
    decorators (``csrf_exempt``, ``require_POST``, ``require_safe``).

    The page is rendered in the language LocaleMiddleware would choose for it (the
    language cookie the switch sets, then Accept-Language) and says so as it would
    (``Content-Language``, ``Vary``). Its language switch posts without a CSRF token
    (config/urls.py says why that is safe), so nothing in it is the visitor's own.
    """

    ROUTES = (
        "ledger:transparency_json",
        "ledger:transparency_csv",
        "ledger:transparency_dictionary",
        "ledger:transparency_checkpoints",
        "ledger:transparency_tree_heads",
        "donations:stripe_webhook",
    )
    # Pages served the same to everyone who reads them in one language.
    LOCALIZED_ROUTES = ("ledger:transparency",)

    def __init__(self, get_response):
        self.get_response = get_response
        self._matches = None

    def _routes(self) -> dict:
        """{path: (resolver match, whether the response depends on the language)}"""
        if self._matches is None:
            from django.urls import resolve, reverse

            self._matches = {
                reverse(name): (resolve(reverse(name)), name in self.LOCALIZED_ROUTES)
                for name in self.ROUTES + self.LOCALIZED_ROUTES
            }
        return self._matches

    def __call__(self, request):
        route = self._routes().get(request.path_info)
        if route is None:
            return self.get_response(request)
        match, localized = route
        request.get_host()  # ALLOWED_HOSTS, as CommonMiddleware would check it
        request.resolver_match = match
        if localized:
            response = self._in_the_visitors_language(request, match)
        else:
            response = match.func(request, *match.args, **match.kwargs)
        response.setdefault("X-Frame-Options", "DENY")
        if not response.streaming:  # as CommonMiddleware does
            response.setdefault("Content-Length", str(len(response.content)))
        return response

    @staticmethod
    def _in_the_visitors_language(request, match):
        """What LocaleMiddleware does for a page outside ``i18n_patterns``."""
        language = translation.get_language_from_request(request)
        with translation.override(language):
            request.LANGUAGE_CODE = translation.get_language()
            response = match.func(request, *match.args, **match.kwargs)
        # The language cookie is one of the cookies, so caches must tell cookies apart.
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


class ActingStaffMiddleware:
    """Holds the request, its user loaded, while it is served, so a change to a staff
    account saved meanwhile (the admin, a staff page) is audited as that user's
    (``ledger.staff.actor``); outside a request the actor is the system. After the
    authentication and second-factor middlewares."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from ledger.staff.actor import acting_begin, acting_end

        token = acting_begin(request)
        try:
            return self.get_response(request)
        finally:
            acting_end(token)
