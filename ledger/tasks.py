from celery import shared_task

from ledger.books.tree_heads import checkpoint_if_grown


@shared_task
def checkpoint_ledger() -> int:
    """Beat, hourly: sign a head if the journal grew, and send the witnesses every head
    they have not had; returns how many heads were sent."""
    from ledger.books.witnesses import witnesses_send

    checkpoint_if_grown()
    return witnesses_send()


@shared_task
def sign_tree_head() -> int | None:
    """After every LEDGER_HEAD_EVERY transactions: sign a head (the hourly run emails it)."""
    checkpoint = checkpoint_if_grown()
    return checkpoint.sequence if checkpoint else None


@shared_task
def publish_transparency_releases() -> list[str]:
    """Beat: release each closed month that is due; returns each release's period and
    status ("2026-10 published")."""
    from ledger.public.releases import releases_publish_due

    return [f"{r.period} {r.status}" for r in releases_publish_due()]


@shared_task
def purge_case_identifying_data() -> int:
    """Beat: erase identifying data of cases closed past the retention period."""
    from ledger.casework.cases import cases_purge_identifying_data

    return cases_purge_identifying_data()


@shared_task
def purge_staff_login_addresses() -> int:
    """Beat: erase staff login addresses older than STAFF_LOGIN_ADDRESS_RETENTION_DAYS."""
    from ledger.staff.login_audit import login_addresses_purge

    return login_addresses_purge()


@shared_task
def send_credential_reset_notices(reset_ids: list[int]) -> int:
    """After a reset of someone's credentials by someone else commits: tell the account's
    holder and the admins (ledger.staff.credentials)."""
    from ledger.staff.credentials import notices_send

    return notices_send(reset_ids)
