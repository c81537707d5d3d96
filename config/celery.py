"""The Celery app. The broker comes from CELERY_BROKER_URL; with none set, tasks run eagerly."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("bailfund")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
