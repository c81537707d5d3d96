"""Gunicorn settings for the Procfile's web process: its own log lines in the same shape
as the application's (JSON lines, scrubbed), and no access log, because the access log
would record every donor's address and every path with its token. The application logs
each request itself (config.middleware)."""

import os

from config.logs import logging_config

_debug = os.environ.get("DEBUG", "0").lower() in ("1", "true", "yes", "on")
_level = os.environ.get("LOG_LEVEL", "INFO")
accesslog = None
logconfig_dict = logging_config(
    log_format=os.environ.get("LOG_FORMAT") or ("text" if _debug else "json"),
    level=_level,
)
# Gunicorn keeps its error log from propagating unless told: send it to the one handler.
logconfig_dict["loggers"]["gunicorn.error"] = {"level": _level, "propagate": True}
logconfig_dict["loggers"]["gunicorn.access"] = {"propagate": False}
