"""How the public figures are served: each process keeps its copy for the refresh interval,
and the open data and the page skip the middlewares only visitors' pages need. Both are
shortcuts (docs/benchmarks.md says what each is worth); these tests prove each serves what
the plain path serves."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ledger.books.tree_heads import checkpoint_create
from ledger.public import releases, transparency
from tests.ledger.public.conftest import OPEN_DATA_PATHS, THROUGH_JULY

pytestmark = pytest.mark.django_db

STATELESS = "config.middleware.StatelessRoutesMiddleware"
# What a visitor may ask for: each language, by header and by the switch's cookie.
VISITORS = [{}, {"HTTP_ACCEPT_LANGUAGE": "es"}, {"HTTP_ACCEPT_LANGUAGE": "fr,es;q=0.5"}]
HEADERS = (
    "Content-Type",
    "Content-Language",
    "Content-Length",
    "Content-Encoding",
    "ETag",
    "Cache-Control",
    "Access-Control-Allow-Origin",
    "X-Frame-Options",
    "Content-Security-Policy",
)


def _answer(client, path, **extra) -> dict:
    response = client.get(path, **extra)
    vary = {v.strip() for v in response.get("Vary", "").split(",") if v.strip()}
    return {
        "status": response.status_code,
        "body": response.content,
        "vary": vary,
        **{header: response.get(header) for header in HEADERS},
    }


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("path", ["/transparency/", *OPEN_DATA_PATHS])
def test_the_stateless_routes_answer_as_the_whole_stack_does(
    released, client, settings, path, visitor
):
    shortcut = _answer(client, path, **visitor)
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != STATELESS]
    plain = _answer(client, path, **visitor)

    assert shortcut["status"] == 200
    # The whole stack adds "Cookie" to Vary only when a middleware read a cookie; the
    # shortcut's page always names it, the language switch's cookie being one of them.
    assert plain["vary"] <= shortcut["vary"] <= plain["vary"] | {"Cookie"}
    assert {k: v for k, v in shortcut.items() if k != "vary"} == {
        k: v for k, v in plain.items() if k != "vary"
    }


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_language_cookie_chooses_the_page_as_the_whole_stack_does(
    released, client, settings, language
):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    shortcut = _answer(client, "/transparency/")
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != STATELESS]
    plain = _answer(client, "/transparency/")

    assert shortcut["Content-Language"] == language
    assert shortcut["body"] == plain["body"]
    assert shortcut["Content-Language"] == plain["Content-Language"]


@pytest.mark.parametrize("visitor", VISITORS[:2])
@pytest.mark.parametrize("path", ["/transparency/", *OPEN_DATA_PATHS])
def test_a_kept_copy_serves_what_a_fresh_build_serves(released, client, settings, path, visitor):
    settings.TRANSPARENCY_REFRESH_SECONDS = 60  # the production default
    client.get(path, **visitor)  # builds this process's copy
    with CaptureQueriesContext(connection) as asked:
        kept = _answer(client, path, **visitor)
    assert len(asked) == 0  # from the copy

    settings.TRANSPARENCY_REFRESH_SECONDS = 0  # every request builds afresh
    fresh = _answer(client, path, **visitor)

    assert kept["status"] == 200
    assert kept == fresh


def test_a_process_keeps_its_copy_for_the_refresh_interval(
    fund_year, client, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.TRANSPARENCY_REFRESH_SECONDS = 60  # the production default
    clock = [1000.0]
    monkeypatch.setattr(transparency.time, "monotonic", lambda: clock[0])
    first = client.get("/transparency/checkpoints.json").content
    assert client.get("/transparency.json").json()["releases"] == []
    assert client.get("/transparency/").status_code == 200

    checkpoint_create()
    clock[0] += 59
    with CaptureQueriesContext(connection) as asked:
        assert client.get("/transparency/checkpoints.json").content == first
        assert client.get("/transparency.json").json()["releases"] == []
        assert client.get("/transparency/").status_code == 200
    assert len(asked) == 0  # served from this process's copy: no database at all

    clock[0] += 1
    assert client.get("/transparency/checkpoints.json").content != first

    # A release published by this process shows at once (the others' copies follow
    # within the interval).
    with django_capture_on_commit_callbacks(execute=True):
        releases.releases_publish_due(today=THROUGH_JULY)
    assert client.get("/transparency.json").json()["latest_release"] == "2025-07"


def test_documents_built_again_keep_their_etag(released, client):
    first = {
        path: client.get(path)
        for path in (
            "/transparency.json",
            "/transparency/monthly.csv",
            "/transparency/checkpoints.json",
        )
    }

    transparency.forget()  # as if the interval had passed, or another process answered

    for path, response in first.items():
        assert client.get(path, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304, path


def test_the_open_data_skip_the_middlewares_only_pages_need(released, client, settings):
    for path in ("/transparency.json", "/transparency/data-dictionary.csv"):
        response = client.get(path)

        assert "Accept-Language" not in response.get("Vary", "")  # one representation
        assert "Cookie" not in response.get("Vary", "")
        assert "csrftoken" not in response.cookies and "sessionid" not in response.cookies
        assert response["X-Frame-Options"] == "DENY"
        assert "Content-Security-Policy" in response
    settings.ALLOWED_HOSTS = ["fund.example.org"]
    assert client.get("/transparency.json").status_code == 400  # the host is still checked


def test_the_page_skips_the_middlewares_only_visitors_pages_need(released, client, settings):
    response = client.get("/transparency/")

    assert response.status_code == 200
    request = response.wsgi_request
    assert not hasattr(request, "session") and not hasattr(request, "user")
    assert not response.cookies
    assert response["Content-Language"] == "en"
    assert response["Content-Length"] == str(len(response.content))
    assert response["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in response
    assert response["X-Request-ID"]
    assert client.post("/transparency/").status_code == 405
    settings.ALLOWED_HOSTS = ["fund.example.org"]
    assert client.get("/transparency/").status_code == 400  # the host is still checked
