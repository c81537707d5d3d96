"""The project's Celery app for a benchmark's beat, its schedule (``CELERY_BEAT_SCHEDULE``)
cut down to the entries named in ``BENCH_BEAT_ENTRIES`` (comma separated): a surge can run
the every-minute drain without reconciliation posting, meanwhile, what the webhooks have
not posted yet. Started by ``_stack.Stack.beat``."""

import os

from config.celery import app

_wanted = set(os.environ["BENCH_BEAT_ENTRIES"].split(","))
_missing = _wanted - set(app.conf.beat_schedule)
if _missing:
    raise SystemExit(f"not in CELERY_BEAT_SCHEDULE: {', '.join(sorted(_missing))}")
app.conf.beat_schedule = {
    name: entry for name, entry in app.conf.beat_schedule.items() if name in _wanted
}
