"""The two small tables of staff security that change or are purged, and so stay out of the
append-only audit log (docs/permissions.md).

* :class:`StaffCredentialReset`: someone other than its holder set an account's password or
  changed its second factor; until ``until`` the account moves no money
  (``ledger.staff.credentials``).
* :class:`StaffLoginAddress`: the client address of a login, kept beside its audit event
  (by sequence) for ``STAFF_LOGIN_ADDRESS_RETENTION_DAYS``, then erased by the nightly
  purge (``ledger.staff.login_audit``). The audit row itself never holds the address.
"""

from __future__ import annotations

from django.db import models

from ledger.models import user_field


class StaffCredentialReset(models.Model):
    user = user_field()
    # None: a command or the shell on the server.
    reset_by = user_field(optional=True)
    what = models.CharField(max_length=40)
    at = models.DateTimeField()
    until = models.DateTimeField()

    class Meta:
        app_label = "ledger"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["until"], name="ledger_credreset_until_idx")]

    def __str__(self) -> str:
        return f"{self.what} of user {self.user_id} at {self.at:%Y-%m-%d %H:%M}"


class StaffLoginAddress(models.Model):
    audit_sequence = models.BigIntegerField(db_index=True)
    address = models.GenericIPAddressField()
    at = models.DateTimeField(db_index=True)

    class Meta:
        app_label = "ledger"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"login address of audit event {self.audit_sequence}"
