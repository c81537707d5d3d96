from celery import shared_task

from ledger.services import checkpoint_create


@shared_task
def checkpoint_ledger() -> int:
    """Beat: record the day's chain head so later rewrites cannot verify against it."""
    return checkpoint_create().sequence


@shared_task
def purge_case_identifying_data() -> int:
    """Beat: erase identifying data of cases closed past the retention period."""
    from ledger.cases import cases_purge_identifying_data

    return cases_purge_identifying_data()
