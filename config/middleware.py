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
