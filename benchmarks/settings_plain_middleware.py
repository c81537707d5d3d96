"""The production settings without ``config.middleware.StatelessRoutesMiddleware``: every
request goes through the whole middleware stack. For measuring what that shortcut is worth:

    BENCHMARK_SETTINGS=benchmarks.settings_plain_middleware python benchmarks/webhook_intake.py
"""

from config.settings import *  # noqa: F403

MIDDLEWARE = [m for m in MIDDLEWARE if m != "config.middleware.StatelessRoutesMiddleware"]  # noqa: F405
