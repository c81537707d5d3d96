"""Answers the public open data before the middlewares that only pages need.

``/transparency.json``, the monthly CSV and the checkpoint list are the same for everyone:
no session, login, CSRF token or language. Placed right after WhiteNoise, which does the
same for static files, this middleware answers them without running the session, locale,
CSRF, authentication, second-factor, messages and throttling middlewares, a third of what
such a request otherwise costs (docs/benchmarks.md). The middlewares before it (request
ids, security headers, the content security policy) still apply. The URLs stay in
``ledger/urls.py`` for ``reverse()``, and the views are the same functions.
"""

from __future__ import annotations

from django.urls import reverse


class OpenDataMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._views = None

    def _routes(self) -> dict:
        if self._views is None:
            from ledger import views

            self._views = {
                reverse("ledger:transparency_json"): views.transparency_json,
                reverse("ledger:transparency_csv"): views.transparency_monthly_csv,
                reverse("ledger:transparency_checkpoints"): views.transparency_checkpoints,
            }
        return self._views

    def __call__(self, request):
        view = self._routes().get(request.path)
        if view is None:
            return self.get_response(request)
        request.get_host()  # ALLOWED_HOSTS, as CommonMiddleware would check it
        response = view(request)
        response.setdefault("X-Frame-Options", "DENY")
        return response
