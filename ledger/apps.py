from django.apps import AppConfig
from django.db.models.signals import post_migrate


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = "Books"
    # Records of this app checked against the books by verify_ledger, beyond the
    # disbursements (ledger.books.subledgers).
    subledger_checks = ("ledger.public.release_checks.check_closed_releases",)

    def ready(self) -> None:
        # Registers the deployment checks.
        from ledger import checks  # noqa: F401
        from ledger.staff import login_audit, security_audit

        # Changes to staff accounts and their logins are audited, whatever makes them.
        security_audit.connect()
        login_audit.connect()

        post_migrate.connect(grant_app_role_after_migrate, sender=self)


def grant_app_role_after_migrate(sender, using, **kwargs) -> None:
    """After ``migrate --database owner``, give the application's role (``DATABASE_URL``)
    its rights on every table, new ones included (``ledger.books.db_roles``)."""
    from django.db import connections

    from ledger.books.db_roles import grant_app_role

    if using != "owner" or connections[using].vendor != "postgresql":
        return
    app_role = connections["default"].settings_dict["USER"]
    if app_role and app_role != connections[using].settings_dict["USER"]:
        grant_app_role(connections[using], app_role)
