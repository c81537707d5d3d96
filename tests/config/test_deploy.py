"""Production shape: `check --deploy` passes with production settings and refuses the
development shape; every page carries the security headers and a policy it can live with."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parents[2]

# Settings a developer's or CI's shell may hold; each production run below sets its own.
SETTING_NAMES = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "DATABASE_OWNER_URL",
    "CELERY_BROKER_URL",
    "CACHE_URL",
    "EMAIL_URL",
    "SITE_URL",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE",
    "STRIPE_CHECKOUT_ORIGIN",
    "ALLOW_STRIPE_SANDBOX",
    "FIELD_ENCRYPTION_KEYS",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "LOG_FORMAT",
    "LEDGER_SIGNING_KEY",
    "LEDGER_WITNESSES",
}


def production_env(**overrides: str) -> dict[str, str]:
    """What an operator sets (docs/operating.md). The services' hosts do not resolve:
    `check --deploy` reads the configuration and connects to nothing."""
    env = {key: value for key, value in os.environ.items() if key not in SETTING_NAMES}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="bailfund.example.org",
        DATABASE_URL="postgres://bailfund_app:password@db.invalid:5432/bailfund",
        DATABASE_OWNER_URL="postgres://bailfund_owner:password@db.invalid:5432/bailfund",
        CELERY_BROKER_URL="redis://redis.invalid:6379/0",
        CACHE_URL="redis://redis.invalid:6379/1",
        EMAIL_URL="smtp+tls://receipts:password@mail.invalid:587",
        SITE_URL="https://bailfund.example.org",
        STRIPE_SECRET_KEY="sk_live_" + secrets.token_hex(12),
        STRIPE_WEBHOOK_SECRET="whsec_" + secrets.token_hex(16),
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        LEDGER_SIGNING_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        LEDGER_WITNESSES="treasurer@example.org,auditor@example.org",
    )
    env.update(overrides)
    return env


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_settings():
    result = check_deploy(production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


# The development shape, setting by setting, and the check each setting fails.
DEVELOPMENT_SHAPE = {
    "bailfund.E001": ("DATABASE_URL", "sqlite:////tmp/not-production.sqlite3"),
    "bailfund.E002": ("CELERY_BROKER_URL", ""),
    "bailfund.E003": ("CACHE_URL", "locmemcache://"),
    "bailfund.E004": ("FIELD_ENCRYPTION_KEYS", ""),
    "bailfund.E006": ("STRIPE_WEBHOOK_SECRET", "whsec_sandbox_development"),
    "bailfund.E007": ("EMAIL_URL", "consolemail://"),
    "bailfund.E012": ("LEDGER_SIGNING_KEY", ""),
}


def test_check_deploy_refuses_the_development_shape():
    result = check_deploy(production_env(**dict(DEVELOPMENT_SHAPE.values())))

    assert result.returncode != 0
    for check_id in DEVELOPMENT_SHAPE:
        assert check_id in result.stderr, result.stderr


@pytest.mark.parametrize(
    "owner_url",
    ["", "postgres://bailfund_app:password@db.invalid:5432/bailfund"],
    ids=["no owner", "the same role"],
)
def test_check_deploy_refuses_one_database_role_for_the_site_and_migrations(owner_url):
    result = check_deploy(production_env(DATABASE_OWNER_URL=owner_url))

    assert result.returncode != 0
    assert "bailfund.E009" in result.stderr


def test_check_deploy_warns_when_https_is_turned_off():
    result = check_deploy(production_env(SECURE_SSL_REDIRECT="0", SESSION_COOKIE_SECURE="0"))

    assert result.returncode != 0
    assert "security.W008" in result.stderr
    assert "security.W012" in result.stderr


def test_production_reads_the_proxy_header_from_the_environment():
    env = production_env(SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto,https")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.SECURE_PROXY_SSL_HEADER)",
        ],
        cwd=ROOT,
        env=dict(env, DJANGO_SETTINGS_MODULE="config.settings"),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "('HTTP_X_FORWARDED_PROTO', 'https')"


# Headers on responses ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/donate/", "/healthz"])
def test_every_response_carries_the_policy_and_headers(url):
    response = Client().get(url)

    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["img-src"] == "'self' data:"
    assert "'unsafe-inline'" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_the_donation_form_may_hand_over_to_stripe_checkout(settings):
    policy = Client().get("/donate/").headers["Content-Security-Policy"]

    form_action = next(p for p in policy.split(";") if p.strip().startswith("form-action"))
    assert form_action.split()[1:] == ["'self'", settings.STRIPE_CHECKOUT_ORIGIN]


PRODUCTION_HTTPS = {
    "SECURE_SSL_REDIRECT": True,
    "SECURE_HSTS_SECONDS": 31_536_000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
}


@pytest.mark.django_db
@override_settings(**PRODUCTION_HTTPS)
def test_production_sends_plain_http_to_https_but_answers_healthz():
    client = Client()

    assert client.get("/donate/").status_code == 301
    assert client.get("/donate/")["Location"] == "https://testserver/donate/"
    assert client.get("/healthz").status_code in (200, 503)


@pytest.mark.django_db
@override_settings(**PRODUCTION_HTTPS)
def test_production_pages_over_https_carry_hsts():
    response = Client().get("/", secure=True)

    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )


# What the policy forbids, the templates do not use -----------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"javascript:", re.IGNORECASE)


# Documents written to disk, never served: `manage.py financial_statements --format html`
# writes a statement to be opened from a folder, so it carries its own styles.
DOCUMENTS = {"ledger/reports/file.html"}


@pytest.mark.parametrize(
    "template",
    [
        path
        for path in sorted((ROOT / "templates").rglob("*.html"))
        if str(path.relative_to(ROOT / "templates")) not in DOCUMENTS
    ],
    ids=lambda path: str(path.relative_to(ROOT / "templates")),
)
def test_templates_have_no_inline_script_or_style(template):
    text = template.read_text()

    for pattern in (INLINE_SCRIPT, INLINE_STYLE, INLINE_HANDLER, JAVASCRIPT_URL):
        assert not pattern.search(text), f"{pattern.pattern} in {template.name}"


def test_the_procfile_runs_web_worker_and_beat_without_an_access_log():
    from honcho.environ import parse_procfile

    processes = parse_procfile((ROOT / "Procfile").read_text()).processes

    assert set(processes) == {"web", "worker", "beat"}
    # None of them is given the database owner's address (docs/operating.md).
    assert all(command.startswith("env -u DATABASE_OWNER_URL ") for command in processes.values())
    assert "gunicorn config.wsgi --config python:config.gunicorn" in processes["web"]
    assert "access-log" not in processes["web"]
    assert "celery -A config" in processes["worker"] and " worker " in processes["worker"]
    assert "celery -A config" in processes["beat"] and " beat " in processes["beat"]


def test_gunicorn_logs_json_lines_through_the_same_filters():
    script = (
        "import logging, logging.config\n"
        "from config import gunicorn\n"
        "logging.config.dictConfig(gunicorn.logconfig_dict)\n"
        "logging.getLogger('gunicorn.error').error('worker for jane@example.org timed out')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    line = json.loads(result.stderr.strip())
    assert line["logger"] == "gunicorn.error"
    assert line["message"] == "worker for [email] timed out"
