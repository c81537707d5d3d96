"""Public pages: the home page, the transparency page and its open data.

Thin doors into ``ledger.public.transparency``, which serves the published releases."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods, require_safe

from ledger.public import page_figures
from ledger.public import transparency as figures


def home(request):
    """The public home page: money raised so far (live), and the bail figures of the
    latest release."""
    releases = figures.public_document()["releases"]
    return render(
        request,
        "ledger/home.html",
        {
            "raised": figures.live_raised(),
            "latest": releases[-1] if releases else None,
            "identity": page_figures.bail_identity(releases),
        },
    )


def _page(document: dict) -> str:
    """The whole page, the same for every visitor who reads it in the active language."""
    body = render_to_string("ledger/_transparency_body.html", page_figures.context(document))
    context = {
        # Rendered by our own templates with autoescaping on.
        "body": mark_safe(body),  # noqa: S308
        "FUND_NAME": settings.FUND_NAME,
        "language_next": reverse("ledger:transparency"),
    }
    return render_to_string("ledger/transparency.html", context)


@require_safe
def transparency(request):
    """What a journalist reads in a minute: the released figures, period by period, and
    the proof.

    The page is rendered once per release and language and served as it is: it holds
    nothing of the visitor's (its language switch needs no CSRF token), so
    ``config.middleware.StatelessRoutesMiddleware`` answers it, in the visitor's language,
    before the session, CSRF and authentication middlewares."""
    return _send(request, figures.page(get_language(), _page), "text/html; charset=utf-8")


def _send(request, served: figures.Served, content_type: str) -> HttpResponse:
    """Stored bytes, gzip-encoded where the client accepts it, with their ETag."""
    body, etag, encoded = served.for_request(request)
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(
            b"" if request.method == "HEAD" else body, content_type=content_type
        )
        if encoded:
            response["Content-Encoding"] = "gzip"
    response["ETag"] = etag
    patch_vary_headers(response, ("Accept-Encoding",))
    return response


_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "If-None-Match",
    "Access-Control-Expose-Headers": "ETag",
}


def _open_data(request, kind: str, content_type: str) -> HttpResponse:
    if request.method == "OPTIONS":
        response = HttpResponse(status=204)
        response["Access-Control-Max-Age"] = "86400"
    else:
        response = _send(request, figures.open_data(kind), content_type)
        patch_cache_control(response, public=True, max_age=settings.TRANSPARENCY_CACHE_SECONDS)
    for name, value in _CORS.items():
        response[name] = value
    return response


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def transparency_json(request):
    return _open_data(request, "json", "application/json")


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def transparency_monthly_csv(request):
    response = _open_data(request, "csv", "text/csv; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="monthly.csv"'
    return response


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def transparency_dictionary(request):
    response = _open_data(request, "dictionary", "text/csv; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="data-dictionary.csv"'
    return response


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def transparency_checkpoints(request):
    return _open_data(request, "checkpoints", "application/json")


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def transparency_tree_heads(request):
    """Every signed tree head, oldest first (ledger.books.tree_heads): archive it."""
    return _open_data(request, "tree-heads", "application/jsonl; charset=utf-8")
