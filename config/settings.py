"""The one settings module, read from the environment.

Development defaults are safe and need nothing installed: SQLite in ``var/`` and Celery
tasks run in-process after commit. Production differs only by environment variables
(see ``.env.example`` and ``docs/operating.md``).
"""

import datetime as dt
import os
import zoneinfo
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config import bank_settings, ledger_settings
from config.database_settings import databases
from config.logs import logging_config
from config.payment_settings import fee_rates, statement_descriptor
from config.staff_settings import (
    healthz_token,
    positive_int,
    staff_security,
    username_failure_limit,
)

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-never-use-in-production"  # noqa: S105

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG is off (production refuses the development key)."
    )

# Rotating SECRET_KEY: the old key here keeps what it signed valid (sessions, a monthly
# gift's stop link in a receipt already sent, staff recovery codes) until it is removed.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

# HTTPS and browser protections. With DEBUG off every one defaults to what
# `manage.py check --deploy` asks for; the environment can relax one on purpose (a benchmark
# over plain HTTP). See docs/operating.md, "TLS and the proxy".
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers probe /healthz over plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^healthz/live$"]
# Behind a proxy that terminates TLS: the header it sets and the value that means HTTPS,
# e.g. "X-Forwarded-Proto,https". Only when the proxy always sets or strips that header.
_proxy_ssl_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
if _proxy_ssl_header:
    if len(_proxy_ssl_header) != 2:
        raise ImproperlyConfigured(
            "SECURE_PROXY_SSL_HEADER is a header and a value: X-Forwarded-Proto,https"
        )
    _header = _proxy_ssl_header[0].upper().replace("-", "_")
    SECURE_PROXY_SSL_HEADER = (
        _header if _header.startswith("HTTP_") else f"HTTP_{_header}",
        _proxy_ssl_header[1],
    )
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
# No page's address (a thank-you page's id, a stop link's token) is sent to another site.
SECURE_REFERRER_POLICY = env.str("SECURE_REFERRER_POLICY", default="same-origin")
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tables2",
    "django_filters",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "ledger",
    "donations",
]
# Every staff table (django-tables2) has the one CSS class of the staff pages.
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table"}

MIDDLEWARE = [
    # First: every log line of the request, and the response, carry its id.
    "config.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The open data and Stripe's webhook, answered before the middlewares only pages need.
    "config.middleware.StatelessRoutesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The public pages in the visitor's language (Accept-Language, or the language switch).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Who is acting, for the audit of changes to staff accounts (ledger.staff.security_audit).
    "config.middleware.ActingStaffMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a login refused for too many failures into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ledger.staff.context_processors.fund",
            ],
        },
    },
]

(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = databases(env, BASE_DIR)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Staff access (docs/permissions.md): a password, then a TOTP code from an enrolled app (or a
# single-use recovery code). The lockout backend comes first so a locked-out login is refused
# before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "staff_auth:login"
LOGIN_REDIRECT_URL = "/staff/"
# The admin lists devices without their secrets or recovery codes.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# A staff session ends after this many seconds without a staff page being opened, and
# this many after its login whatever its activity.
STAFF_SESSION_IDLE_SECONDS = positive_int(env, "STAFF_SESSION_IDLE_SECONDS", 1800)
STAFF_SESSION_MAX_SECONDS = positive_int(env, "STAFF_SESSION_MAX_SECONDS", 43_200)
# Failed logins within the cool-off (ledger/staff/lockout.py): per username and address,
# which stops one guesser without locking the owner out elsewhere; per username from every
# address, which stops guesses spread over many; and across all accounts, past which every
# password login is refused until the window ends.
AXES_FAILURE_LIMIT = positive_int(env, "STAFF_LOGIN_FAILURE_LIMIT", 5)
STAFF_LOGIN_USERNAME_FAILURE_LIMIT = username_failure_limit(env, AXES_FAILURE_LIMIT)
STAFF_LOGIN_GLOBAL_FAILURE_LIMIT = positive_int(env, "STAFF_LOGIN_GLOBAL_FAILURE_LIMIT", 100)
STAFF_LOGIN_COOLOFF_MINUTES = positive_int(env, "STAFF_LOGIN_COOLOFF_MINUTES", 15)
AXES_COOLOFF_TIME = dt.timedelta(minutes=STAFF_LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_HANDLER = "ledger.staff.lockout.StaffLockoutHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "ledger/staff/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
# Logins are in the audit log, their client addresses for a short while in a table of their
# own (ledger.staff.login_audit); axes keeps no access log besides.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# A credential reset by someone else pauses money rights; approve and pay need a fresh second
# factor; login addresses are kept briefly (docs/permissions.md).
vars().update(staff_security(env))
# Wrong codes slow the next attempt down exponentially (1, 2, 4, 8 … seconds) per device.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The fund's time zone (an IANA name such as America/Chicago): the day and month of every
# posting, release and receipt (ledger/books/fund_time.py). The books remember it; set it
# before the first posting. TIME_ZONE, its older name, is read when it is not set.
FUND_TIME_ZONE = env.str("FUND_TIME_ZONE", default=env.str("TIME_ZONE", default="UTC"))
try:
    zoneinfo.ZoneInfo(FUND_TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError) as _error:
    raise ImproperlyConfigured(
        f"FUND_TIME_ZONE={FUND_TIME_ZONE!r} is not a time zone; use a name such as America/Chicago."
    ) from _error
TIME_ZONE = FUND_TIME_ZONE
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Celery. With no broker configured, tasks run in-process; callers enqueue them with
# transaction.on_commit, so "in-process" still means "after commit".
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# An eager task that fails records its failure on its own rows (and is retried by the
# reconciliation jobs); it must not turn the web request that enqueued it into an error.
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django integration closes the database connection around every task unless
# told to reuse it: a new PostgreSQL connection per donation cost more than the donation.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    # A signed tree head when the journal grew, and the witnesses' copies.
    "ledger-tree-head": {
        "task": "ledger.tasks.checkpoint_ledger",
        "schedule": crontab(minute=5),
    },
    # Releases every month that is due (TRANSPARENCY_RELEASE_LAG_DAYS after it ends).
    "transparency-releases": {
        "task": "ledger.tasks.publish_transparency_releases",
        "schedule": crontab(hour=1, minute=15),
    },
    "case-identifying-data-purge": {
        "task": "ledger.tasks.purge_case_identifying_data",
        "schedule": crontab(hour=2, minute=0),
    },
    "staff-login-address-purge": {
        "task": "ledger.tasks.purge_staff_login_addresses",
        "schedule": crontab(hour=2, minute=10),
    },
    # Balance transactions the webhooks missed, from the watermark minus an overlap.
    "stripe-sync": {
        "task": "donations.tasks.reconcile_stripe",
        "schedule": 10 * 60,
        "kwargs": {"kind": "sync"},
    },
    # Stored events whose drain could not be scheduled, and claims whose worker died.
    "stripe-events-drain": {
        "task": "donations.tasks.drain_stripe_events",
        "schedule": 60,
    },
    "stripe-events-trim": {
        "task": "donations.tasks.trim_stripe_events",
        "schedule": crontab(hour=2, minute=30),
    },
    "donor-data-erase": {
        "task": "donations.tasks.erase_donor_data",
        "schedule": crontab(hour=2, minute=45),
    },
    # Failed events again, and events Stripe never delivered.
    "stripe-events": {
        "task": "donations.tasks.reconcile_stripe",
        "schedule": 15 * 60,
        "kwargs": {"kind": "events"},
    },
    "stripe-payouts": {
        "task": "donations.tasks.reconcile_stripe",
        "schedule": crontab(minute=30),
        "kwargs": {"kind": "payouts"},
    },
    # Nightly: the whole history, Stripe's balance against assets:stripe, verify_ledger.
    "stripe-nightly": {
        "task": "donations.tasks.reconcile_stripe",
        "schedule": crontab(hour=3, minute=15),
        "kwargs": {"kind": "all", "full": True},
    },
}

# The fund.
FUND_CURRENCY = env.str("FUND_CURRENCY", default="usd").lower()
FUND_NAME = env.str("FUND_NAME", default="Community Bail Fund")
FUND_LEGAL_NAME = env.str("FUND_LEGAL_NAME", default="Community Bail Fund, Inc.")
# The name authenticator apps show next to the staff account.
OTP_TOTP_ISSUER = FUND_NAME

# Stripe. Without a real key, development talks to the local sandbox
# (python -m stripe_sandbox, started by `make run`). With DEBUG off the sandbox is
# refused unless ALLOW_STRIPE_SANDBOX is set, which only benchmarks and CI do.
STRIPE_SANDBOX_URL = "http://127.0.0.1:12111"
STRIPE_SANDBOX_KEY = "sk_test_sandbox"  # noqa: S105 (the sandbox accepts any sk_test_ key)
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
if not STRIPE_SECRET_KEY:
    STRIPE_SECRET_KEY = STRIPE_SANDBOX_KEY
    STRIPE_API_BASE = STRIPE_API_BASE or STRIPE_SANDBOX_URL
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="whsec_sandbox_development")
STRIPE_WEBHOOK_TOLERANCE = env.int("STRIPE_WEBHOOK_TOLERANCE", default=300)
# A stored event claimed by a drain this many seconds ago and still not done is taken
# again (its worker died); processing is idempotent.
STRIPE_EVENT_CLAIM_TIMEOUT = env.int("STRIPE_EVENT_CLAIM_TIMEOUT", default=120)
# Days a processed event's stored copy (it carries donors' names, emails and addresses) is
# kept before a daily task erases it, leaving its id, type and outcome.
STRIPE_EVENT_RETENTION_DAYS = env.int("STRIPE_EVENT_RETENTION_DAYS", default=30)
# Donors' email addresses and names are erased this many days after their gift's last
# charge (a monthly gift still running keeps them): long enough for the receipt and the
# year-end statement of the gift's year.
DONOR_DATA_RETENTION_DAYS = env.int("DONOR_DATA_RETENTION_DAYS", default=400)
# A donor's free-text message (it may name the person the gift was for) is erased this many
# days after the gift, by the same nightly task, unless it is shown on the donor wall.
DONOR_MESSAGE_RETENTION_DAYS = env.int("DONOR_MESSAGE_RETENTION_DAYS", default=90)
STRIPE_TIMEOUT = env.float("STRIPE_TIMEOUT", default=30.0)  # seconds per request
# The first wait, in seconds, before Stripe is asked again after a rate limit (every call),
# or a server error or a timeout (reconciliation); it doubles with each attempt (at most
# 8 s), with jitter.
STRIPE_RETRY_BACKOFF = env.float("STRIPE_RETRY_BACKOFF", default=0.25)
# How many times one call is retried after Stripe's 429 before it gives up (the event or
# the run is retried later; a donor's checkout shows a "try again" message).
STRIPE_RATE_LIMIT_RETRIES = env.int("STRIPE_RATE_LIMIT_RETRIES", default=6)
STRIPE_PROXY = env.str("STRIPE_PROXY", default="")  # e.g. http://proxy:3128, if egress needs one
# Objects per page when reconciliation walks Stripe's lists (100 is Stripe's maximum).
RECONCILIATION_PAGE_SIZE = env.int("RECONCILIATION_PAGE_SIZE", default=100)
# /healthz reports "degraded" when the last complete reconciliation is older than this
# (the nightly run, with a day to spare).
RECONCILIATION_MAX_AGE_SECONDS = env.int("RECONCILIATION_MAX_AGE_SECONDS", default=2 * 86400)
# /healthz tells the public only up or down; its details go to staff and to a request
# carrying "Authorization: Bearer <HEALTHZ_TOKEN>" (empty: staff only).
HEALTHZ_TOKEN = healthz_token(env)
# The balance check compares Stripe's balance and the books as of this long ago, so gifts
# whose events are still on their way count on neither side (donations/reconciliation/as_of.py).
RECONCILIATION_BALANCE_LAG_SECONDS = env.int("RECONCILIATION_BALANCE_LAG_SECONDS", default=60)
# A bank statement line and an entry on the bank account are proposed as a match when
# dated at most this many days apart (donations/bank/matching.py).
BANK_MATCH_DAYS = bank_settings.match_days(env)
ALLOW_STRIPE_SANDBOX = env.bool("ALLOW_STRIPE_SANDBOX", default=False)
if (
    not DEBUG
    and not ALLOW_STRIPE_SANDBOX
    and (
        STRIPE_API_BASE
        or not STRIPE_SECRET_KEY.startswith(("sk_live_", "sk_test_", "rk_"))
        or STRIPE_SECRET_KEY == STRIPE_SANDBOX_KEY
    )
):
    raise ImproperlyConfigured(
        "With DEBUG off, set STRIPE_SECRET_KEY to a real Stripe key and leave STRIPE_API_BASE "
        "empty: production never talks to the Stripe sandbox."
    )

# Content security policy (django-csp): the site's own scripts, styles and images only
# (images also as data: URLs), no inline script or style, no plugins, no framing. Forms post
# only here; the donation form's answer redirects to Stripe Checkout, and browsers hold a
# redirect after a form post to form-action too, so Checkout's origin is listed.
STRIPE_CHECKOUT_ORIGIN = env.str("STRIPE_CHECKOUT_ORIGIN", default="") or (
    STRIPE_API_BASE.rstrip("/") if STRIPE_API_BASE else "https://checkout.stripe.com"
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF, STRIPE_CHECKOUT_ORIGIN],
        "frame-ancestors": [NONE],
    }
}
if env.str("CSP_REPORT_URI", default=""):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = env.str("CSP_REPORT_URI")

# Donations.
DONATION_MIN_AMOUNT = env.int("DONATION_MIN_AMOUNT", default=100)  # minor units
DONATION_MAX_AMOUNT = env.int("DONATION_MAX_AMOUNT", default=5_000_000)
DONATION_PRESET_AMOUNTS = env.list(
    "DONATION_PRESET_AMOUNTS", cast=int, default=[2500, 5000, 10000, 25000]
)
# What Stripe charges per way of paying, "method:percent:fixed[:cap]" (fixed and cap in
# minor units), comma separated. Checkout offers exactly these methods, and "cover the
# fees" grosses a gift up by the costliest (donations/checkout/fees.py).
if "STRIPE_FEE_PERCENT" in os.environ or "STRIPE_FEE_FIXED" in os.environ:
    raise ImproperlyConfigured(
        "STRIPE_FEE_PERCENT and STRIPE_FEE_FIXED are replaced by STRIPE_FEE_RATES, "
        "for example STRIPE_FEE_RATES=card:2.9:30"
    )
STRIPE_FEE_RATES = fee_rates(env.str("STRIPE_FEE_RATES", default="card:2.9:30"))
# What donors' bank statements show: a suffix to the account's prefix for one-time card
# gifts ("BAILFUND* GIFT"), and a whole descriptor for monthly gifts, set on the one
# Product every gift uses. Empty: the account's own descriptor.
STRIPE_STATEMENT_DESCRIPTOR_SUFFIX = statement_descriptor(
    env, "STRIPE_STATEMENT_DESCRIPTOR_SUFFIX", range(2, 21)
)
STRIPE_STATEMENT_DESCRIPTOR = statement_descriptor(env, "STRIPE_STATEMENT_DESCRIPTOR", range(5, 23))
DONATIONS_PAUSED = env.bool("DONATIONS_PAUSED", default=False)
DONATIONS_PAUSED_MESSAGE = env.str("DONATIONS_PAUSED_MESSAGE", default="")
DONATIONS_REDIRECT_URL = env.str("DONATIONS_REDIRECT_URL", default="")
# How many proxies (load balancer, TLS terminator) stand in front of the web processes,
# each adding the address it received from to X-Forwarded-For. 0: the client connects
# directly and X-Forwarded-For, which anyone can send, is ignored.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Django-axes (staff login lockout) reads the client's address the same way.
AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if TRUSTED_PROXY_COUNT else ("REMOTE_ADDR",)
)
# What to do when a card network warns that a gift was fraud (donations/events/risk.py):
# refund it at once, avoiding a dispute and its fee, or list it for staff to review.
EARLY_FRAUD_WARNING_ACTION = env.str("EARLY_FRAUD_WARNING_ACTION", default="refund")
if EARLY_FRAUD_WARNING_ACTION not in ("refund", "review"):
    raise ImproperlyConfigured("EARLY_FRAUD_WARNING_ACTION is refund or review.")
# How long the stop link in a monthly gift's receipt works (each month's receipt brings a
# new one); an expired link offers to email a fresh one to the gift's address.
STOP_LINK_MAX_AGE_DAYS = env.int("STOP_LINK_MAX_AGE_DAYS", default=400)
# How long the link to a donor's printable year-end statement works, in days (1 to 3660).
STATEMENT_LINK_MAX_AGE_DAYS = env.int("STATEMENT_LINK_MAX_AGE_DAYS", default=400)
if not 1 <= STATEMENT_LINK_MAX_AGE_DAYS <= 3660:
    raise ImproperlyConfigured("STATEMENT_LINK_MAX_AGE_DAYS is a number of days from 1 to 3660.")
# Card-testing protection: Checkout sessions a client may create per window.
CHECKOUT_RATE_LIMIT_PER_IP = env.int("CHECKOUT_RATE_LIMIT_PER_IP", default=10)
CHECKOUT_RATE_LIMIT_PER_SESSION = env.int("CHECKOUT_RATE_LIMIT_PER_SESSION", default=5)
CHECKOUT_RATE_LIMIT_WINDOW = env.int("CHECKOUT_RATE_LIMIT_WINDOW", default=600)  # seconds
FUND_TAX_STATEMENT = env.str(
    "FUND_TAX_STATEMENT",
    default="No goods or services were provided in exchange for this contribution.",
)
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# Mail (receipts). Development prints mail to the console.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="receipts@bailfund.example.org")

# Cache: rate limits and public totals. Redis in production (CACHE_URL), memory otherwise.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# Public transparency figures (docs/open-data.md). Figures about people and bail are
# published as releases of closed months, TRANSPARENCY_RELEASE_LAG_DAYS after each month
# ends. A figure resting on fewer than TRANSPARENCY_MIN_CELL people, or one whose largest
# TRANSPARENCY_DOMINANCE_PEOPLE contributions exceed TRANSPARENCY_DOMINANCE_PERCENT of it,
# is suppressed, and the audit makes sure no suppressed amount can be bounded closer than
# TRANSPARENCY_PROTECTION_PERCENT either side of its value from every release ever made.
# TRANSPARENCY_CACHE_SECONDS is how long browsers and proxies may keep the open data;
# TRANSPARENCY_REFRESH_SECONDS how often each web process looks for a new release.
TRANSPARENCY_MIN_CELL = env.int("TRANSPARENCY_MIN_CELL", default=5)
TRANSPARENCY_DOMINANCE_PEOPLE = env.int("TRANSPARENCY_DOMINANCE_PEOPLE", default=2)
TRANSPARENCY_DOMINANCE_PERCENT = env.int("TRANSPARENCY_DOMINANCE_PERCENT", default=80)
TRANSPARENCY_PROTECTION_PERCENT = env.int("TRANSPARENCY_PROTECTION_PERCENT", default=20)
TRANSPARENCY_RELEASE_LAG_DAYS = env.int("TRANSPARENCY_RELEASE_LAG_DAYS", default=10)
TRANSPARENCY_CACHE_SECONDS = env.int("TRANSPARENCY_CACHE_SECONDS", default=60)
TRANSPARENCY_REFRESH_SECONDS = env.float("TRANSPARENCY_REFRESH_SECONDS", default=60)

# Signed tree heads of the books (docs/ledger.md, "Signed tree heads"): the signing key,
# retired public keys whose heads still stand, a head after every LEDGER_HEAD_EVERY
# transactions (and hourly), and the witnesses each head is emailed to.
LEDGER_SIGNING_KEY = ledger_settings.signing_key(env, debug=DEBUG, secret_key=SECRET_KEY)
LEDGER_SIGNING_KEY_SET = bool(env.str("LEDGER_SIGNING_KEY", default=""))
LEDGER_RETIRED_PUBLIC_KEYS = ledger_settings.public_keys(env, "LEDGER_RETIRED_PUBLIC_KEYS")
LEDGER_HEAD_EVERY = env.int("LEDGER_HEAD_EVERY", default=1000)
LEDGER_WITNESSES = ledger_settings.witnesses(env)
LEDGER_LOG_NAME = ledger_settings.log_name(env, SITE_URL)
# Postings dated more than this many days after today are refused (ledger.books.entries).
LEDGER_MAX_DAYS_AHEAD = ledger_settings.days_ahead(env)

# Keys for encrypted case fields, newest first (used by the disbursements side).
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
# Identifying case data is erased this many days after a case closes.
CASE_PII_RETENTION_DAYS = env.int("CASE_PII_RETENTION_DAYS", default=90)
# Disbursements of at least this many minor units need an approver other than the
# requester; 0 (the default) applies the two-person rule to every disbursement.
DISBURSEMENT_TWO_PERSON_MIN = env.int("DISBURSEMENT_TWO_PERSON_MIN", default=0)

# Logs (config/logs.py): one JSON object per line in production, readable lines in
# development; each with its request or task id, and scrubbed of personal data.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = logging_config(log_format=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))
