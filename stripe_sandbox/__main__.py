"""``python -m stripe_sandbox``: run the sandbox in the foreground.

Configuration comes from the command line and the environment, so the same settings file that
tells the project where Stripe is (``STRIPE_API_BASE``, ``STRIPE_WEBHOOK_SECRET``) also
configures the sandbox:

* ``STRIPE_WEBHOOK_SECRET``: signing secret (default ``whsec_sandbox_development``);
* ``SANDBOX_WEBHOOK_URL``: where events are POSTed (default
  ``http://127.0.0.1:8000/stripe/webhook/``; empty disables delivery);
* ``SANDBOX_PUBLIC_URL``: base URL for hosted checkout links (default ``http://host:port``).

Switches can be given as ``--switch name=value`` (repeatable), e.g. ``--switch drop_rate=0.1``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys

from .server import DEFAULT_PORT, DEFAULT_WEBHOOK_SECRET, DEFAULT_WEBHOOK_URL, SandboxServer
from .switches import Switches


def _switch(text: str) -> tuple[str, object]:
    name, sep, value = text.partition("=")
    if not sep or name not in Switches.names():
        raise argparse.ArgumentTypeError(
            f"expected name=value with name one of: {', '.join(Switches.names())}"
        )
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value
    return name, parsed


def main(argv: list[str] | None = None, server_class: type[SandboxServer] = SandboxServer) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m stripe_sandbox",
        description="Local stand-in for the Stripe API (test mode only).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--switch",
        action="append",
        type=_switch,
        default=[],
        metavar="NAME=VALUE",
        help="set a switch, e.g. drop_rate=0.1 (repeatable; see docs/stripe-sandbox.md)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    webhook_url = os.environ.get("SANDBOX_WEBHOOK_URL", DEFAULT_WEBHOOK_URL) or None
    server = server_class(
        args.host,
        args.port,
        webhook_url=webhook_url,
        webhook_secret=os.environ.get("STRIPE_WEBHOOK_SECRET") or DEFAULT_WEBHOOK_SECRET,
        public_url=os.environ.get("SANDBOX_PUBLIC_URL") or None,
        switches=dict(args.switch),
    )
    print(
        f"Stripe sandbox listening on {server.url} "
        f"(webhooks -> {webhook_url or 'disabled'}); Ctrl-C to stop.",
        file=sys.stderr,
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
