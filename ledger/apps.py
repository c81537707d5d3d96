from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = "Books"

    def ready(self) -> None:
        # Registers the deployment checks.
        from ledger import checks  # noqa: F401
