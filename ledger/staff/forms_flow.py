"""The staff form pattern, in one place: bind the form, call one service, then show the
service's refusal as the form's error, or go on to the next page with a message.

A view binds its form, hands it to :func:`form_submitted` with ``act`` (the service call)
and the exception types that mean the service refused, and shows the form again when it
gets ``None`` back::

    form = ThingForm(request.POST or None)

    def act(data):
        thing = thing_create(actor=request.user, **data)
        created = gettext("Thing %(number)s created.") % {"number": thing.pk}
        return created, reverse("app:thing", args=[thing.pk])

    response = form_submitted(request, form, act, refusals=ThingError)
    return response or form_page(request, form, gettext("New thing"))

The message and the title are shown to staff, so they are translated per request
(``gettext``, never an f-string).

The services refuse before they write, so a refusal changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

# What ``act`` returns: the success message, and the address to go to.
Done = tuple[str, str]


def form_submitted(
    request: HttpRequest,
    form: forms.Form,
    act: Callable[[dict[str, Any]], Done],
    *,
    refusals: type[Exception] | tuple[type[Exception], ...],
) -> HttpResponse | None:
    """When ``form`` was posted and is valid, call ``act(form.cleaned_data)``.

    On success, flash the message ``act`` returns and redirect to its address. A refusal
    (one of ``refusals``) becomes the form's error. Returns None when the page should show
    the form again: not posted, not valid, or refused."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        message, next_url = act(form.cleaned_data)
    except refusals as error:
        form.add_error(None, str(error))
        return None
    messages.success(request, message)
    return redirect(next_url)


def form_page(request: HttpRequest, form: forms.Form, title: str, **context) -> HttpResponse:
    """The page of one staff form (``ledger/staff/form.html``): 400 once it was submitted
    (it is shown again only when invalid or refused), 200 when first shown."""
    return render(
        request,
        "ledger/staff/form.html",
        {"form": form, "title": title, **context},
        status=400 if form.is_bound else 200,
    )
