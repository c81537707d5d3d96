"""The public pages do not need the shared cache: while it is unreachable (Redis
restarting), the home page, the transparency page and the open data answer from the
published releases and the books, never with a 500."""

import datetime as dt

import pytest
import redis

from ledger.public.releases import releases_publish_due
from tests.ledger.public.conftest import PUBLIC_PATHS

pytestmark = pytest.mark.django_db


@pytest.fixture
def unreachable_cache(settings):
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            # Nothing listens on port 1: every cache call fails at once.
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    yield caches["default"]


def test_the_public_pages_answer_without_the_cache(unreachable_cache, client, post):
    post(
        [("assets:stripe", 970), ("expenses:processing_fees", 30), ("income:donations", -1000)],
        kind="donation",
        date=dt.date(2026, 3, 15),
    )
    releases_publish_due(today=dt.date(2026, 4, 30))
    post(
        [("assets:bank", 2500), ("income:donations", -2500)],
        kind="offline_gift",
        date=dt.date(2026, 4, 2),
    )
    with pytest.raises(redis.exceptions.ConnectionError):
        unreachable_cache.get("anything")

    responses = {path: client.get(path) for path in PUBLIC_PATHS}

    assert {path: r.status_code for path, r in responses.items()} == dict.fromkeys(responses, 200)
    release = responses["/transparency.json"].json()["releases"][-1]
    assert release["release"] == "2026-03"
    assert release["money_in"]["total"]["donations_gross"] == 1000
    assert "$35.00" in responses["/"].content.decode()  # raised so far, live
