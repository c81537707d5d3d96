"""The field naming the staff user who did something, for the models that record it
(``ledger.models`` re-exports it)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


def user_field(*, optional: bool = False, **options) -> models.ForeignKey:
    """The staff user who did something. Protected (a user that records name cannot be
    deleted) and with no reverse accessor; ``optional`` for a step not taken yet, or one
    the system takes."""
    if optional:
        options |= {"null": True, "blank": True}
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", **options
    )
