"""Public pages: the home page, the transparency page and its open data, and health.

Thin doors into ``ledger.transparency``, which computes and caches the figures."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from ledger import charts
from ledger import transparency as figures
from ledger.health import health_report
from ledger.money import format_money


def home(request):
    """The public home page: the fund's totals, straight from the books."""
    document, _ = figures.public_document()
    return render(request, "ledger/home.html", {"figures": document})


def _chart_description(label: str, months: list[str], values: list[int | None], currency: str):
    shown = [(value, month) for month, value in zip(months, values, strict=True) if value]
    if not shown:
        return gettext("%(label)s: nothing to show yet.") % {"label": label}
    value, month = max(shown)
    return gettext(
        "%(label)s per month, %(first)s to %(last)s. The highest month was %(month)s, with "
        "%(amount)s. The table below lists every month."
    ) % {
        "label": label,
        "first": months[0],
        "last": months[-1],
        "month": month,
        "amount": format_money(value, currency),
    }


def _readable_time(iso: str) -> str:
    """ "2026-11-25T16:01:17Z" -> "2026-11-25 16:01 UTC" """
    return iso[:16].replace("T", " ") + " UTC"


def _page_fragment(document: dict, extras: dict) -> str:
    """The transparency page's body."""
    currency = document["currency"]
    monthly = document["monthly"]
    months = [row["month"] for row in monthly]
    suppressed = gettext("suppressed to protect people's privacy")
    net = [row["donations_net"] for row in monthly]
    paid = [row["bail_paid"] for row in monthly]
    returned = [row["bail_returned"] for row in monthly]
    totals = document["totals"]
    context = {
        "figures": document,
        "totals": totals,
        "ratios": document["ratios"],
        "as_of": _readable_time(document["as_of"]),
        "sources_total": totals["donations_net"] + totals["opening_balance"],
        "uses_total": totals["available"]
        + totals["approved_unpaid"]
        + totals["stripe_balance"]
        + totals["bail_outstanding"]
        + totals["court_fees"]
        + totals["bail_forfeited"]
        + totals["direct_support"],
        "money_in_chart": charts.monthly_bars(
            months, [net], currency=currency, suppressed_title=suppressed
        ),
        "money_in_description": _chart_description(
            gettext("Money raised, net"), months, net, currency
        ),
        "bail_chart": charts.monthly_bars(
            months, [paid, returned], currency=currency, suppressed_title=suppressed
        ),
        "bail_description": _chart_description(gettext("Bail paid"), months, paid, currency),
        "monthly_newest_first": list(reversed(monthly)),
        "recent_checkpoints": [
            {**checkpoint, "recorded": _readable_time(checkpoint["created_at"])}
            for checkpoint in extras["recent_checkpoints"]
        ],
        "wall": extras["wall"],
        "min_cell": document["privacy"]["min_cell"],
    }
    return render_to_string("ledger/_transparency_body.html", context)


def _page(document: dict, extras: dict) -> str:
    """The whole page, the same for every visitor who reads it in the active language."""
    body = _page_fragment(document, extras)
    context = {
        # Rendered by our own templates with autoescaping on.
        "body": mark_safe(body),  # noqa: S308
        "FUND_NAME": settings.FUND_NAME,
        "language_next": reverse("ledger:transparency"),
    }
    return render_to_string("ledger/transparency.html", context)


@require_safe
def transparency(request):
    """What a journalist reads in a minute: every total, month by month, and the proof.

    The page is rendered once per version of the books and language and served from the
    cache as it is: it holds nothing of the visitor's (its language switch needs no CSRF
    token), so ``config.middleware.StatelessRoutesMiddleware`` answers it, in the
    visitor's language, before the session, CSRF and authentication middlewares."""
    return HttpResponse(figures.page(get_language(), _page))


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
        served = figures.open_data(kind)
        response = get_conditional_response(request, etag=served.etag)
        if response is None:
            body = b"" if request.method == "HEAD" else served.body
            response = HttpResponse(body, content_type=content_type)
        response["ETag"] = served.etag
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
def transparency_checkpoints(request):
    return _open_data(request, "checkpoints", "application/json")


@never_cache
def liveness(request):
    """The process answers; nothing else is touched. For a supervisor that restarts a hung
    process (a database outage must not restart every web process: that is /healthz)."""
    return JsonResponse({"status": "ok"})


@never_cache
def healthz(request):
    """For load balancers and monitoring (ledger.health): the database and the broker answer,
    and the last complete reconciliation is recent. ``?strict=1``: a late one is a 503."""
    code, body = health_report(strict=request.GET.get("strict") == "1")
    return JsonResponse(body, status=code)
