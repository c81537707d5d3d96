"""While the shared cache is unreachable (Redis restarting), the public figures are
computed from the books for each request: slower, never a 500."""

import pytest

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


def test_the_open_data_and_the_page_answer_without_the_cache(unreachable_cache, client, post):
    post(
        [("assets:stripe", 970), ("expenses:processing_fees", 30), ("income:donations", -1000)],
        kind="donation",
    )

    document = client.get("/transparency.json")
    page = client.get("/transparency/")
    monthly = client.get("/transparency/monthly.csv")

    assert (document.status_code, page.status_code, monthly.status_code) == (200, 200, 200)
    assert document.json()["totals"]["donations_gross"] == 1000
