from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = "Books"

    def ready(self) -> None:
        # Registers the deployment checks, and the signal receivers that tell the public
        # figures a case or disbursement changed.
        from ledger import checks, transparency  # noqa: F401
