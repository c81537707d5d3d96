"""Deployment checks (``manage.py check --deploy``): the production shape of the fund.

Django's own deploy checks cover HTTPS and cookies; these cover what only this project
knows. ``make prod`` runs them and refuses to start while any fails. They run only with
``--deploy``, so development and the benchmarks (DEBUG off on SQLite) are not held up.
"""

from __future__ import annotations

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError, connections

from ledger.books.db_roles import role_problems

PROCESS_LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)
# Backends that write whole messages (a donor's address, a receipt) to the logs or disk.
MAIL_TO_LOGS = (
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
)
MAIL_NOWHERE = (
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
)
SET_EMAIL_URL = "Set EMAIL_URL=smtp+tls://user:password@host:587."


@register(Tags.security, deploy=True)
def check_production(app_configs, **kwargs):
    """Every problem found, by the services, the secrets, then the mail and the site."""
    return [*_services(), *_database_roles(), *_secrets(), *_mail_and_site()]


def _services():
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        yield Error(
            "Production needs PostgreSQL: the books' guarantees (balanced postings, "
            "concurrent payments) are enforced by PostgreSQL.",
            hint="Set DATABASE_URL=postgres://user:password@host:5432/dbname.",
            id="bailfund.E001",
        )
    if not settings.CELERY_BROKER_URL or settings.CELERY_TASK_ALWAYS_EAGER:
        yield Error(
            "No Celery broker: webhook processing, receipts and reconciliation would run "
            "inside web requests, and beat could not schedule anything.",
            hint="Set CELERY_BROKER_URL=redis://host:6379/0 and run the Procfile's "
            "worker and beat.",
            id="bailfund.E002",
        )
    backend = settings.CACHES["default"]["BACKEND"]
    if backend in PROCESS_LOCAL_CACHES:
        yield Error(
            "The cache is private to each process: rate limits against card testing "
            "would be counted per gunicorn worker, not per site.",
            hint="Set CACHE_URL=redis://host:6379/1.",
            id="bailfund.E003",
        )


def _database_roles():
    """The web, worker and beat processes must not connect as the owner of the tables."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return
    owner = settings.DATABASES.get("owner")
    if owner is None or owner.get("USER") == settings.DATABASES["default"].get("USER"):
        yield Error(
            "The web, worker and beat processes would connect as the role that owns the "
            "tables: it can disable the books' triggers and rewrite them.",
            hint="Set DATABASE_OWNER_URL to the owner role (migrations run as it) and "
            "DATABASE_URL to a role of its own (docs/operating.md, 'Two database roles').",
            id="bailfund.E009",
        )


@register(Tags.database, deploy=True)
def check_application_role(app_configs, databases=None, **kwargs):
    """``check --deploy --database default``: what the application's role could do to the
    books (ledger.books.db_roles). Tables not migrated yet are judged on the next run."""
    if "default" not in (databases or ()) or connections["default"].vendor != "postgresql":
        return []
    try:
        with connections["default"].cursor() as cursor:
            problems = role_problems(cursor)
    except DatabaseError as error:
        return [
            Error(
                f"Could not check the database role: {type(error).__name__}.",
                hint="Check DATABASE_URL and that the database answers.",
                id="bailfund.E010",
            )
        ]
    return [
        Error(
            f"DATABASE_URL: {problem}.",
            hint="Run manage.py migrate --database owner, which grants the application's "
            "role only what it needs (docs/operating.md, 'Two database roles').",
            id="bailfund.E011",
        )
        for problem in problems
    ]


def _secrets():
    keys = [key.strip() for key in settings.FIELD_ENCRYPTION_KEYS if key.strip()]
    if not keys:
        yield Error(
            "FIELD_ENCRYPTION_KEYS is empty: bail cases' identifying data cannot be encrypted.",
            hint='Generate a key with python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())" and keep a copy offline.',
            id="bailfund.E004",
        )
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            yield Error(
                f"FIELD_ENCRYPTION_KEYS: key {position} is not a Fernet key "
                "(32 url-safe base64-encoded bytes).",
                id="bailfund.E005",
            )
    if not settings.LEDGER_SIGNING_KEY_SET:
        yield Error(
            "LEDGER_SIGNING_KEY is not set: the books' tree heads would be signed with a key "
            "derived from SECRET_KEY.",
            hint='Generate one with python -c "import base64, os; '
            'print(base64.b64encode(os.urandom(32)).decode())", keep a copy offline, and '
            "publish its public key (docs/ledger.md, 'Signed tree heads').",
            id="bailfund.E012",
        )
    if not settings.LEDGER_WITNESSES:
        yield Warning(
            "LEDGER_WITNESSES is empty: no one outside the fund receives the signed tree "
            "heads by email.",
            hint="List board members' and the auditor's addresses, comma-separated.",
            id="bailfund.W004",
        )
    if settings.ALLOW_STRIPE_SANDBOX:
        yield Error(
            "ALLOW_STRIPE_SANDBOX is on: it lets production talk to the Stripe sandbox.",
            hint="Remove ALLOW_STRIPE_SANDBOX; it is for benchmarks and CI only.",
            id="bailfund.E008",
        )
    elif settings.STRIPE_SECRET_KEY.startswith(("sk_test_", "rk_test_")):
        yield Warning(
            "STRIPE_SECRET_KEY is a test-mode key: no real money moves.",
            hint="Right for a staging site; production needs the live key (sk_live_…).",
            id="bailfund.W003",
        )
    if settings.STRIPE_WEBHOOK_SECRET in ("", "whsec_sandbox_development"):
        yield Error(
            "STRIPE_WEBHOOK_SECRET is not set: Stripe's webhooks could not be verified.",
            hint="Copy the signing secret of the webhook endpoint from Stripe's dashboard.",
            id="bailfund.E006",
        )


def _mail_and_site():
    if settings.EMAIL_BACKEND in MAIL_TO_LOGS:
        yield Error(
            "Receipts would be written to the logs or to files, donors' addresses with them.",
            hint=SET_EMAIL_URL,
            id="bailfund.E007",
        )
    elif settings.EMAIL_BACKEND in MAIL_NOWHERE:
        yield Warning(
            "Receipts are not sent anywhere.",
            hint=SET_EMAIL_URL,
            id="bailfund.W001",
        )
    if not settings.SITE_URL.startswith("https://"):
        yield Warning(
            "SITE_URL is not an https:// address: links in receipts (a monthly gift's "
            "stop link) would travel in clear.",
            id="bailfund.W002",
        )
