"""HTTP layer: a threaded standard-library server and the programmatic ``SandboxServer``.

Requests are routed by prefix: ``/v1/`` is the emulated Stripe API, ``/_sandbox/`` the test
control API, and the hosted pages (``hosted.py``): ``/checkout/<session>`` the payment page,
``/receipts/<charge>`` a receipt, ``/p/session/<id>`` the customer portal and ``/i/<invoice>``
an invoice. For ``/v1/`` the order of checks mirrors what a client sees from Stripe: authenticate
(any ``sk_test_`` key), apply the rate limits (``limits.py``) and the injected faults
(``slow_ms``, 429, 500), then replay or record the response under the ``Idempotency-Key``,
then run the route.

Idempotency follows Stripe's rules: a key is bound to the first request's method, path and
parameters; repeating it with the same ones replays the stored status and body (with
``Idempotent-Replayed: true``), with different ones answers 400 ``idempotency_error``, and
while the first request is still running a repeat gets 409. Only results of requests that ran
are stored (2xx and 402); validation errors and injected faults are not, so a retry after one
of those executes normally.

Usage in tests::

    server = SandboxServer(port=0, webhook_url=url, webhook_secret="whsec_test").start()
    client = stripe.StripeClient("sk_test_x", base_addresses={"api": server.url})
    ...
    server.flush_webhooks()
    server.stop()
"""

from __future__ import annotations

import base64
import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import api, control, hosted
from .client import SandboxControl
from .clock import SandboxClock
from .errors import SandboxError, invalid
from .forms import decode, decode_pairs
from .ids import random_token
from .limits import RATE_LIMIT_MESSAGE, RateLimits
from .objects import API_VERSION
from .state import SandboxState
from .switches import Switches
from .webhooks import WebhookDispatcher

logger = logging.getLogger(__name__)

DEFAULT_PORT = 12111
DEFAULT_WEBHOOK_SECRET = "whsec_sandbox_development"  # noqa: S105 - public dev default
DEFAULT_WEBHOOK_URL = "http://127.0.0.1:8000/stripe/webhook/"
MAX_BODY = 10 * 1024 * 1024


class IdempotencyCache:
    """Stored responses by ``Idempotency-Key`` (thread-safe)."""

    _RUNNING = object()

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, Any] = {}

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def begin(self, key: str, fingerprint: str) -> tuple[int, dict[str, Any]] | None:
        """A stored response to replay, or None after reserving the key for this request."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self._entries[key] = (fingerprint, self._RUNNING)
                return None
            stored_fingerprint, result = entry
            if stored_fingerprint != fingerprint:
                raise SandboxError(
                    400,
                    "Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with. Try using a key other than "
                    f"'{key}' if you meant to execute a different request.",
                    type="idempotency_error",
                )
            if result is self._RUNNING:
                raise SandboxError(
                    409,
                    "There is currently another in-progress request using this Stripe API "
                    "key and idempotency key. Please try again later.",
                    type="idempotency_error",
                    headers={"Stripe-Should-Retry": "true"},
                )
            return result

    def finish(self, key: str, fingerprint: str, result: tuple[int, dict] | None) -> None:
        with self._lock:
            if result is None:
                self._entries.pop(key, None)
            else:
                self._entries[key] = (fingerprint, result)


class _Handler(BaseHTTPRequestHandler):
    server_version = "stripe-sandbox"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = 120
    sandbox: SandboxServer  # set on the subclass made per server

    # --- Plumbing -----------------------------------------------------------------------

    def setup(self) -> None:
        super().setup()
        # Headers and body are written separately; without this, Nagle's algorithm and the
        # client's delayed ACK hold back every keep-alive response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise invalid("Request body too large.")
        return self.rfile.read(length) if length else b""

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None):
        # Compact: Python's pretty-printing encoder is several times slower on large pages.
        body = json.dumps(payload).encode("utf-8")
        self._send(status, body, "application/json", headers)

    def _send_html(self, status: int, html: str, headers: dict[str, str] | None = None):
        self._send(status, html.encode("utf-8"), "text/html; charset=utf-8", headers)

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        try:
            if path.startswith("/v1/"):
                self._api(method, path, parts.query)
            elif path.startswith("/_sandbox"):
                self._control(method, path)
            elif path.startswith("/checkout/"):
                hosted.checkout(self, method, path[len("/checkout/") :].strip("/"))
            elif path.startswith("/receipts/") and method == "GET":
                hosted.receipt(self, path[len("/receipts/") :].strip("/"))
            elif path.startswith("/p/session/"):
                hosted.portal(self, method, path[len("/p/session/") :].strip("/"))
            elif path.startswith("/i/") and method == "GET":
                hosted.invoice(self, path[len("/i/") :].strip("/"))
            elif path == "/" and method == "GET":
                self._send_json(200, {"sandbox": "stripe", "api_version": API_VERSION})
            else:
                self._send_json(404, SandboxError(404, f"Not found: {path}").body())
        except SandboxError as exc:
            self._send_json(exc.status, exc.body(), exc.headers)
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception:
            logger.exception("stripe sandbox: unhandled error for %s %s", method, path)
            self._send_json(
                500, SandboxError(500, "Sandbox internal error.", type="api_error").body()
            )

    # --- /v1/ ---------------------------------------------------------------------------

    def _authenticate(self) -> str:
        header = self.headers.get("Authorization", "")
        key = ""
        if header.startswith("Bearer "):
            key = header[len("Bearer ") :].strip()
        elif header.startswith("Basic "):
            try:
                key = base64.b64decode(header[len("Basic ") :]).decode().split(":", 1)[0]
            except (ValueError, UnicodeDecodeError):
                key = ""
        if not key:
            raise SandboxError(
                401,
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY').",
            )
        if not key.startswith("sk_test_"):
            shown = key[:8] + "*" * 8 + key[-4:] if len(key) > 12 else "*" * len(key)
            raise SandboxError(401, f"Invalid API Key provided: {shown}", code="api_key_invalid")
        return key

    def _api(self, method: str, path: str, query: str) -> None:
        sandbox = self.sandbox
        request_id = "req_" + random_token(14)
        headers = {"Request-Id": request_id, "Stripe-Version": API_VERSION}
        body = self._read_body()
        try:
            slow = sandbox.switches.slow_ms
            if slow and sandbox.switches.is_slow():
                time.sleep(slow / 1000)
            self._authenticate()
            sandbox.limits.admit(
                api.endpoint(method, path),
                account_limit=sandbox.switches.account_rate_limit,
                endpoint_limit=sandbox.switches.endpoint_rate_limit,
            )
            fault = sandbox.switches.api_fault()
            if fault == "rate_limit":
                raise SandboxError(429, RATE_LIMIT_MESSAGE, code="rate_limit")
            if fault == "server_error":
                raise SandboxError(
                    500,
                    "Sorry, something went wrong. We've already been notified of the problem, "
                    "but if you need any help, you can reach us at support.stripe.com/contact/.",
                    type="api_error",
                )
            pairs = parse_qsl(query, keep_blank_values=True)
            if method == "POST":
                pairs += parse_qsl(body.decode("utf-8"), keep_blank_values=True)
            params = decode_pairs(pairs)
            key = self.headers.get("Idempotency-Key") if method in {"POST", "DELETE"} else None
            req = api.ApiRequest(method, path, params, request_id, key, dict(self.headers))
            if key:
                fingerprint = json.dumps([method, path, params], sort_keys=True)
                stored = sandbox.idempotency.begin(key, fingerprint)
                if stored is not None:
                    status, payload = stored
                    headers["Idempotent-Replayed"] = "true"
                    headers["Idempotency-Key"] = key
                    self._send_json(status, payload, headers)
                    return
                result: tuple[int, dict] | None = None
                try:
                    status, payload = api.handle(sandbox.state, req)
                    result = (status, payload)
                except SandboxError as exc:
                    if exc.status == 402:
                        result = (exc.status, exc.body())
                    raise
                finally:
                    sandbox.idempotency.finish(key, fingerprint, result)
                headers["Idempotency-Key"] = key
            else:
                status, payload = api.handle(sandbox.state, req)
            self._send_json(status, payload, headers)
        except SandboxError as exc:
            self._send_json(exc.status, exc.body(), {**headers, **exc.headers})

    # --- /_sandbox/ ---------------------------------------------------------------------

    def _control(self, method: str, path: str) -> None:
        raw = self._read_body()
        body: dict[str, Any] = {}
        if raw.strip():
            # JSON is the control API's format; a form body is accepted too (curl's -d without
            # a Content-Type header sends JSON labelled as a form, hence the sniffing).
            if raw.lstrip().startswith((b"{", b"[")):
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise invalid("The control API expects a JSON object body.")
            else:
                body = decode(raw.decode("utf-8"))
            if not isinstance(body, dict):
                raise invalid("The control API expects a JSON object body.")
        status, payload = control.handle(self.sandbox, method, path.rstrip("/") or path, body)
        self._send_json(status, payload)


class SandboxServer:
    """A running Stripe sandbox: HTTP server, state and webhook dispatcher.

    ``port=0`` picks a free port; read :attr:`url` after construction. ``switches`` may be a
    :class:`Switches` or a dict of switch values. ``clock_start`` freezes the sandbox clock at
    that Unix time (it then only moves with ``advance_clock``); by default it follows wall time.

    A subclass may add routes to the control API by extending :attr:`control_routes`
    (see ``control.route``).
    """

    control_routes: list[control.Route] = control.ROUTES

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        *,
        webhook_url: str | None = None,
        webhook_secret: str = DEFAULT_WEBHOOK_SECRET,
        public_url: str | None = None,
        switches: Switches | dict[str, Any] | None = None,
        clock_start: int | None = None,
    ) -> None:
        if isinstance(switches, Switches):
            self.switches = switches
        else:
            self.switches = Switches()
            if switches:
                self.switches.update(switches)
        self.clock = SandboxClock(clock_start)
        handler = type("SandboxHandler", (_Handler,), {"sandbox": self})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        bound_host, bound_port = self.httpd.server_address[:2]
        self.host = host
        self.port = int(bound_port)
        self.url = f"http://{host}:{self.port}"
        self.public_url = (public_url or self.url).rstrip("/")
        self.idempotency = IdempotencyCache()
        self.limits = RateLimits()
        self.dispatcher = WebhookDispatcher(
            self.switches,
            self._render_event,
            url=webhook_url,
            secret=webhook_secret,
            on_delivered=self._delivered,
        )
        self.state = SandboxState(
            clock=self.clock,
            switches=self.switches,
            public_url=self.public_url,
            sink=self.dispatcher.enqueue,
            webhooks_configured=lambda: self.dispatcher.url is not None,
        )
        self._thread: threading.Thread | None = None

    # Callbacks from the dispatcher (which must not import the state).
    def _render_event(self, event_id: str) -> dict[str, Any] | None:
        return self.state.event_payload(event_id)

    def _delivered(self, event_id: str) -> None:
        self.state.mark_delivered(event_id)

    # --- Lifecycle ----------------------------------------------------------------------

    def start(self) -> SandboxServer:
        if self._thread is None:
            self.dispatcher.start()
            self._thread = threading.Thread(
                target=self.httpd.serve_forever,
                kwargs={"poll_interval": 0.02},
                name="stripe-sandbox-http",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread (used by ``python -m stripe_sandbox``)."""
        self.dispatcher.start()
        try:
            self.httpd.serve_forever(poll_interval=0.25)
        finally:
            self.dispatcher.stop()
            self.httpd.server_close()

    def stop(self) -> None:
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(5)
            self._thread = None
        self.httpd.server_close()
        self.dispatcher.stop()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- Control ------------------------------------------------------------------------

    def configure(
        self,
        *,
        webhook_url: str | None | bool = False,
        webhook_secret: str | None = None,
        **switches: Any,
    ) -> None:
        """Set switches by name, and/or the webhook URL (``None`` disables delivery)."""
        if switches:
            self.switches.update(switches)
        if webhook_url is not False or webhook_secret:
            self.dispatcher.configure(url=webhook_url, secret=webhook_secret)

    def config(self) -> dict[str, Any]:
        return {
            "switches": self.switches.as_dict(),
            "webhook_url": self.dispatcher.url,
            "webhook_secret": self.dispatcher.secret,
            "public_url": self.public_url,
            "api_version": API_VERSION,
        }

    def reset(self, reset_switches: bool = False) -> None:
        """Forget all objects, events, idempotency keys, queued webhooks and request counts."""
        self.dispatcher.clear()
        self.idempotency.clear()
        self.limits.reset()
        self.state.reset()
        if reset_switches:
            self.switches.update(Switches().as_dict())

    def flush_webhooks(self, timeout: float = 10.0) -> bool:
        """Block until every queued webhook was delivered or given up on."""
        return self.dispatcher.flush(timeout)

    @property
    def control(self) -> SandboxControl:
        """A control-API client for this server (the same one other processes would use)."""
        return SandboxControl(self.url)
