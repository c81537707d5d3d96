"""The Celery app. The broker comes from CELERY_BROKER_URL; with none set, tasks run eagerly."""

import os

from celery import Celery, signals

from config.logs import task_id_var

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("bailfund")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def use_django_logging(**kwargs) -> None:
    """The worker and beat log through the project's LOGGING (JSON lines, personal data
    scrubbed) instead of Celery replacing the root logger's handlers with its own."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@signals.task_prerun.connect
@signals.task_postrun.connect
def _close_old_connections(task=None, **kwargs) -> None:
    """Between tasks, what Django does between requests: drop a connection that failed or
    outlived CONN_MAX_AGE, and check the next one's health before its first query.

    With CELERY_DB_REUSE_MAX set, Celery itself closes nothing between tasks, so a
    connection the database had dropped (a restart, a failover) failed every later task on
    that worker thread until an atomic block happened to fail and close it. An eager task
    runs inside a request (or a test's transaction), whose connection is Django's to manage.
    """
    if task is not None and getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


# Each running task's log lines carry its id. Tokens are kept per task so a task run
# in-process inside another (eager mode) hands the outer task's id back when it ends.
_task_id_tokens: dict = {}


@signals.task_prerun.connect
def _task_started(task_id=None, **kwargs) -> None:
    _task_id_tokens[task_id] = task_id_var.set(task_id)


@signals.task_postrun.connect
def _task_finished(task_id=None, **kwargs) -> None:
    token = _task_id_tokens.pop(task_id, None)
    if token is not None:
        try:
            task_id_var.reset(token)
        except ValueError:  # set in another thread's context: nothing of ours to restore
            task_id_var.set(None)


# A task runs in the default language, whatever language was active where it was started:
# what it stores (an error on a Stripe event, a discrepancy) is data, in English. An eager
# task runs inside a request; the request's language comes back when the task ends.
_task_languages: dict = {}


@signals.task_prerun.connect
def _task_in_default_language(task_id=None, **kwargs) -> None:
    from django.conf import settings
    from django.utils import translation

    _task_languages[task_id] = translation.get_language()
    translation.activate(settings.LANGUAGE_CODE)


@signals.task_postrun.connect
def _task_language_back(task_id=None, **kwargs) -> None:
    from django.utils import translation

    previous = _task_languages.pop(task_id, None)
    if previous:
        translation.activate(previous)
    else:
        translation.deactivate()
