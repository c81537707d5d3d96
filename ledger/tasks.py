from celery import shared_task

from ledger.books.posting import checkpoint_create


@shared_task
def checkpoint_ledger() -> int:
    """Beat: record the day's chain head so later rewrites cannot verify against it."""
    return checkpoint_create().sequence


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
