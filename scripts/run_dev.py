"""`make run`: the site on http://127.0.0.1:8000 and, unless a real Stripe key is set, the
local Stripe sandbox beside it on port 12111, delivering its webhooks to the site."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    children: list[subprocess.Popen] = []
    if not os.environ.get("STRIPE_SECRET_KEY"):
        env = dict(
            os.environ,
            SANDBOX_WEBHOOK_URL=f"http://{host}:{port}/stripe/webhook/",
        )
        env.setdefault("STRIPE_WEBHOOK_SECRET", "whsec_sandbox_development")
        print("Stripe sandbox on http://127.0.0.1:12111 (no STRIPE_SECRET_KEY set)")
        children.append(
            subprocess.Popen([sys.executable, "-m", "stripe_sandbox"], cwd=ROOT, env=env)
        )
    children.append(
        subprocess.Popen([sys.executable, "manage.py", "runserver", f"{host}:{port}"], cwd=ROOT)
    )
    try:
        return children[-1].wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


if __name__ == "__main__":
    sys.exit(main())
