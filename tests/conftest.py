"""Shared fixtures. Tests that need PostgreSQL or Redis are marked and skip with a reason
where those are absent; with BAILFUND_REQUIRE_SERVICES=1 (CI) a missing service fails."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from ledger.books import db_triggers
from ledger.books.chart import ensure_chart
from ledger.books.hashing import GENESIS_HASH
from tests.db_roles import (
    as_owner,
    connect_as_owner_for_setup,
    owner_role,
    set_role,
    switch_back_to_owner,
    switch_to_app_role,
)

REQUIRE_SERVICES = os.environ.get("BAILFUND_REQUIRE_SERVICES") == "1"


def _missing(reason: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _missing("needs PostgreSQL: run with DATABASE_URL=postgres://… (CI does)")
    if item.get_closest_marker("redis"):
        import redis
        from django.conf import settings

        url = settings.CELERY_BROKER_URL
        if not url.startswith("redis"):
            _missing("needs a Redis broker: set CELERY_BROKER_URL=redis://… (CI does)")
        try:
            redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
        except Exception:
            _missing("needs the Redis broker in CELERY_BROKER_URL to answer")


@pytest.fixture(autouse=True)
def _books_zone_checked_per_test():
    """Each test's database starts books of its own, which record their zone afresh."""
    from ledger.books.posting import books_time_zone_forget

    books_time_zone_forget()
    yield
    books_time_zone_forget()


def _uses_transactional_db(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


def _uses_db(request) -> bool:
    return bool(
        request.node.get_closest_marker("django_db")
        or {"db", "transactional_db", "live_server", "django_db_setup"} & set(request.fixturenames)
    )


@pytest.fixture(autouse=True)
def _public_figures_follow_each_change(settings):
    """Production web processes look for a new release once a minute
    (TRANSPARENCY_REFRESH_SECONDS); tests check that each release shows at once, and the
    interval has tests of its own."""
    settings.TRANSPARENCY_REFRESH_SECONDS = 0


@pytest.fixture(autouse=True)
def _default_language():
    """A request through LocaleMiddleware leaves its language active in the thread; amounts
    are written in the active language, so each test starts in the default one."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters and scheduling flags do not leak from one test to the next."""
    from django.core.cache import cache

    from ledger.public import transparency

    cache.clear()
    transparency.forget()  # this process's copies of the public documents
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    """Celery tasks run in-process (after commit, as in development), whatever broker is
    configured; only tests marked redis go through the broker to a real worker."""
    from config.celery import app as celery_app

    if request.node.get_closest_marker("redis"):
        yield
        return
    saved = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = saved


@pytest.fixture(autouse=True)
def _books_ready(request, django_db_blocker):
    """Every database test starts with the chart of accounts and the chain head in place.

    Tests that commit (transactional_db) are cleaned by Django's flush, which empties every
    table, data migrations' rows included. The append-only triggers refuse it (SQLite's
    flush deletes rows one by one; PostgreSQL's truncates, and only the owner may), so they
    are lifted for the flush only, and put back before the next database test.
    """
    if not _uses_db(request):
        yield
        return
    transactional = _uses_transactional_db(request)
    if _guards_lifted:
        with django_db_blocker.unblock(), as_owner(), connection.cursor() as cursor:
            for statement in db_triggers.truncate_guard_statements(connection.vendor):
                cursor.execute(statement)
        _guards_lifted.clear()
    request.getfixturevalue("transactional_db" if transactional else "db")
    from ledger.models import Account, ChainHead

    if connection.vendor == "sqlite":
        db_triggers.install(connection)
    ensure_chart(Account)
    ChainHead.objects.get_or_create(id=1, defaults={"sequence": 0, "hash": GENESIS_HASH})
    yield
    if transactional:
        if connection.vendor == "postgresql":
            # The flush that follows runs as the owner; the next test puts the role back.
            set_role(owner_role())
            with connection.cursor() as cursor:
                for statement in db_triggers.truncate_guard_drop_statements(connection.vendor):
                    cursor.execute(statement)
            _guards_lifted.append(True)
        elif connection.vendor == "sqlite":
            db_triggers.drop(connection)


# Set while the truncate guards are lifted for a flush (PostgreSQL).
_guards_lifted: list[bool] = []


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings):
    """With two roles, the owner creates and migrates the test database (tests/db_roles.py)."""
    connect_as_owner_for_setup()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """…and every test then connects as the application's role."""
    with django_db_blocker.unblock():
        switch_to_app_role()
    yield
    with django_db_blocker.unblock():
        switch_back_to_owner()


@pytest.fixture
def insider(db):
    """The test acts as an insider with the owner's rights: the books' triggers are
    dropped for it (in its transaction) and put back after."""
    with as_owner():
        db_triggers.drop(connection)
        yield
        db_triggers.install(connection)


@pytest.fixture
def post():
    """Post a transaction with sensible defaults: post([("assets:bank", 100), …], key=…)."""
    import datetime as dt
    import itertools

    from ledger.books.posting import transaction_post

    counter = itertools.count(1)

    def _post(legs, *, key=None, kind="adjustment", date=dt.date(2026, 3, 15), **kwargs):
        return transaction_post(
            kind=kind,
            date=date,
            legs=legs,
            idempotency_key=key or f"test:{next(counter)}",
            **kwargs,
        )

    return _post


@pytest.fixture
def staff_user(db):
    """staff_user("approver") → a user holding that role (several roles: several arguments;
    none: a user without a role) with a confirmed authenticator device.

    ``password=`` sets a usable password (tests that go through the login page need one;
    the others skip the slow hashing); ``authenticator=False`` leaves the user to enrol.
    """
    import itertools

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_totp.models import TOTPDevice

    numbers = itertools.count(1)

    def make(*roles: str, username: str = "", password: str | None = None, authenticator=True):
        user = get_user_model().objects.create_user(username or f"staff-{next(numbers)}")
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save()
        for role in roles:
            # get_or_create: a flush after a test that commits empties the roles' groups.
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        if authenticator:
            TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
        return user

    return make


@pytest.fixture
def staff_client(staff_user):
    """staff_client("approver") → a test Client logged in with a password and a verified
    second factor, as that role. ``user=`` logs in an existing user instead; the user is
    ``client.user``. (Client.login() cannot be used: the lockout backend needs a request.)"""
    import time

    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ledger.staff.access import SECOND_FACTOR_TIME_SESSION_KEY

    def make(*roles: str, user=None, username: str = "") -> Client:
        user = user or staff_user(*roles, username=username)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
        client = Client()
        client.force_login(user)
        # What the second step stores once a code is accepted: django_otp.login()'s device,
        # and the time the code was entered (approving and paying need it recent).
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session[SECOND_FACTOR_TIME_SESSION_KEY] = int(time.time())
        session.save()
        client.user = user
        return client

    return make


@pytest.fixture
def totp_code():
    """totp_code(user) → the code the user's authenticator app shows now; ``steps_ahead=1``
    → the next one (accepted too: a code is good for one step either side, once)."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def code(user, *, steps_ahead: int = 0) -> str:
        device = TOTPDevice.objects.filter(user=user).latest("id")
        value = totp(
            device.bin_key, device.step, device.t0, device.digits, device.drift + steps_ahead
        )
        return f"{value:0{device.digits}d}"

    return code


@pytest.fixture
def drop_connection():
    """Call it to have PostgreSQL drop this thread's connection, as a restart, a failover
    or ``pg_terminate_backend`` does. Whatever the test leaves, the flush after it gets a
    working connection."""
    from django.db import connection, connections

    def drop() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        finally:
            other.close()

    yield drop
    connection.close()
