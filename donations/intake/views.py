"""Stripe's webhook endpoint."""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from donations.exceptions import WebhookRejected
from donations.intake import services


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's webhook: verify, store once, enqueue after commit, answer fast."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > services.MAX_WEBHOOK_BYTES:
        return HttpResponse("body too large", status=413, content_type="text/plain")
    try:
        event, created = services.stripe_event_record(
            payload=request.body, signature=request.headers.get("Stripe-Signature")
        )
    except WebhookRejected as error:
        status = 413 if str(error) == "body too large" else 400
        return HttpResponse(str(error), status=status, content_type="text/plain")
    if event is None:
        return JsonResponse({"received": True, "ignored": "other mode"})
    return JsonResponse({"received": True, "duplicate": not created})
