"""Structured logs that never carry personal data.

Every line the web, worker and beat processes write is one JSON object (``LOG_FORMAT=json``,
the default with DEBUG off) or one readable line (``LOG_FORMAT=text``, development), with
the request id of the web request or the id of the Celery task that wrote it.

Before any handler writes a record, :class:`PersonalDataFilter` rewrites it: email addresses
anywhere in the message, its arguments, its extra fields or its traceback become
``[email]``, and extra fields whose names identify a person (``email``, ``name``,
``date_of_birth``, ``docket_number``…) become ``[redacted]``. It is the last line of
defence, not the first: code is still expected not to log such things (docs/threat-model.md).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
from contextvars import ContextVar
from typing import Any

# Set by config.middleware.RequestIdMiddleware for the length of a request, and by the
# Celery signal handlers in config.celery for the length of a task.
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
task_id_var: ContextVar[str | None] = ContextVar("task_id", default=None)

# A domain ends in letters: "celery@worker1" and "redis://:**@10.0.0.5" are not addresses.
EMAIL_PATTERN = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@(?:[\w-]+\.)+[A-Za-z]{2,}\b")
EMAIL_MASK = "[email]"
REDACTED = "[redacted]"

# Names of fields that identify a donor, a person the fund bailed out, or a staff member.
# Matched case-insensitively against extra fields and the keys of dicts inside them.
IDENTIFYING_FIELDS = frozenset(
    {
        "email",
        "donor_email",
        "receipt_email",
        "customer_email",
        "name",
        "full_name",
        "first_name",
        "last_name",
        "display_name",
        "donor_name",
        "person_name",
        "billing_details",
        "date_of_birth",
        "dob",
        "docket_number",
        "docket",
        "booking_number",
        "notes",
        "note",
        "phone",
        "address",
        "ip",
        "ip_address",
        "remote_addr",
        "client_ip",
        "user_agent",
        "username",
        "identifying",
    }
)

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "task_id",
    "taskName",
}

_PLAIN = (str, int, float, bool, type(None))


def scrub_text(text: str) -> str:
    return EMAIL_PATTERN.sub(EMAIL_MASK, text)


def scrub_value(value: Any) -> Any:
    """A copy of ``value`` with email addresses masked and identifying keys redacted."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {
            key: REDACTED if str(key).lower() in IDENTIFYING_FIELDS else scrub_value(item)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [scrub_value(item) for item in value]
    return value


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {key: value for key, value in record.__dict__.items() if key not in _RECORD_ATTRIBUTES}


class PersonalDataFilter(logging.Filter):
    """Masks email addresses and identifying fields in a record before it is written.

    The message is rendered with its arguments first, so an address passed as an argument
    (``logger.info("receipt to %s", email)``) is masked too. Attached to handlers, so it
    sees the records of every logger, the libraries' included.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        _replace_request_path(record)
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: keep what can be shown without its arguments
            message = str(record.msg)
        record.msg, record.args = scrub_text(message), None
        for key, value in extra_fields(record).items():
            if key.lower() in IDENTIFYING_FIELDS:
                setattr(record, key, REDACTED)
            elif not isinstance(value, (int, float, bool, type(None))):
                setattr(record, key, scrub_value(value))
        if record.exc_info and not record.exc_text:
            # Rendered here so the traceback's text (an exception message can quote a
            # value) is scrubbed; formatters reuse exc_text instead of rendering it again.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub_text(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub_text(record.stack_info)
        return True


def _replace_request_path(record: logging.LogRecord) -> None:
    """Django's own request lines ("Not Found: /donate/monthly/stop/<token>/") quote the
    path, which can hold a token: they get the route pattern instead."""
    request = getattr(record, "request", None)
    path = getattr(request, "path", None)
    if not path or not isinstance(record.args, tuple):
        return
    match = getattr(request, "resolver_match", None)
    route = f"/{match.route}" if match else "(no route)"
    record.args = tuple(route if arg == path else arg for arg in record.args)


class LogContextFilter(logging.Filter):
    """Puts the current request id and task id on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.task_id = task_id_var.get()
        return True


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, task_id,
    the process name where a Procfile runner sets one, the extra fields, and the traceback."""

    process_name = os.environ.get("HONCHO_PROCESS_NAME") or os.environ.get("DYNO")

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "task_id": getattr(record, "task_id", None),
        }
        if self.process_name:
            line["process"] = self.process_name
        for key, value in extra_fields(record).items():
            # Only plain values: an object's repr (a request, a model) could carry anything.
            if isinstance(value, _PLAIN) or (isinstance(value, (list, dict)) and _is_plain(value)):
                line.setdefault(key, value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=str)


def _is_plain(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(key, str) and _is_plain(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_is_plain(item) for item in value)
    return isinstance(value, _PLAIN)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """The ``logging.config.dictConfig`` dict shared by Django (``LOGGING``) and gunicorn."""
    if log_format not in ("json", "text"):
        raise ValueError(f"LOG_FORMAT must be json or text, not {log_format!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "personal_data": {"()": "config.logs.PersonalDataFilter"},
            "context": {"()": "config.logs.LogContextFilter"},
        },
        "formatters": {
            "json": {"()": "config.logs.JSONFormatter"},
            "text": {"format": TEXT_FORMAT},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["personal_data", "context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # The Stripe SDK logs every request at INFO: request ids are useful, the volume
            # is not.
            "stripe": {"level": "WARNING"},
            # The OFX reader logs every element of a statement it reads at INFO (and the
            # bank's text at DEBUG): none of it belongs in the logs.
            "ofxtools": {"level": "WARNING"},
        },
    }
