"""The staff page that moderates the donor wall (``/staff/wall/``): the entries waiting,
shown as the public would read them, to approve or decline several at once, and what the
wall shows now, to take down. It is a form rather than a staff list: no filters and no
CSV, since the names are the donors' own words. The services in ``donations.wall`` write,
audit and check ``moderate_wall`` again."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from donations.models import Donation
from donations.wall import (
    ON_THE_WALL,
    WAITING,
    WALL_LIMIT,
    wall_entries_approve,
    wall_entries_remove,
    wall_moderation_rows,
)
from ledger.staff.access import staff_view
from ledger.staff.roles import Capability


class EntriesField(forms.ModelMultipleChoiceField):
    """Entries by public id; a malformed id gets the same message as an unknown one."""

    def clean(self, value):
        try:
            return super().clean(value)
        except ValidationError as error:
            if getattr(error, "code", None) in ("required", "invalid_choice", "invalid_pk_value"):
                raise
            raise ValidationError(self.error_messages["invalid_pk_value"]) from None


class WallDecisionForm(forms.Form):
    """Approve or remove the chosen entries. Approving takes only entries waiting; removing
    takes those waiting (declined) and those on the wall. One unknown or already decided
    entry refuses the whole submission."""

    action = forms.ChoiceField(
        choices=(("approve", _("Approve")), ("remove", _("Remove"))),
        error_messages={
            "required": _("Choose approve or remove: nothing was changed."),
            "invalid_choice": _("Choose approve or remove: nothing was changed."),
        },
    )
    entries = EntriesField(
        queryset=Donation.objects.none(),
        to_field_name="public_id",
        error_messages={
            "required": _("Choose at least one entry: nothing was changed."),
            "invalid_choice": _(
                "An entry chosen is not waiting or on the wall any more (someone may have "
                "decided it meanwhile); look again: nothing was changed."
            ),
            "invalid_pk_value": _(
                "An entry chosen is not one of this page's: nothing was changed."
            ),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        decidable = WAITING if self.data.get("action") == "approve" else WAITING | ON_THE_WALL
        self.fields["entries"].queryset = Donation.objects.filter(decidable)


def _decide(request, data: dict) -> None:
    chosen = data["entries"]
    if data["action"] == "approve":
        count = wall_entries_approve(donations=chosen, actor=request.user)
        done = ngettext(
            "%(count)d entry approved: on the public wall now.",
            "%(count)d entries approved: on the public wall now.",
            count,
        )
    else:
        count = wall_entries_remove(donations=chosen, actor=request.user)
        done = ngettext(
            "%(count)d entry removed: not on the public wall.",
            "%(count)d entries removed: not on the public wall.",
            count,
        )
    messages.success(request, done % {"count": count})


@staff_view(Capability.MODERATE_WALL)
def wall_moderation(request):
    form = WallDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _decide(request, form.cleaned_data)
        return redirect("donations:staff_wall")
    error = " ".join(dict.fromkeys(m for errors in form.errors.values() for m in errors))
    waiting = Donation.objects.filter(WAITING).order_by("created_at", "id")
    shown = Donation.objects.filter(ON_THE_WALL).order_by("-wall_approved_at", "-id")
    context = {
        "error": error,
        "waiting": wall_moderation_rows(waiting),
        "waiting_count": waiting.count(),
        "shown": wall_moderation_rows(shown),
        "limit": WALL_LIMIT,
    }
    status = 400 if form.is_bound else 200
    return render(request, "donations/staff/wall.html", context, status=status)
