"""A task runs in the default language wherever it was started: what it stores is data,
in English. Run in-process inside a Spanish request, it hands the request its language
back when it ends."""

from __future__ import annotations

from django.utils import translation

from config.celery import app


@app.task(name="tests.config.language_seen")
def language_seen() -> str:
    return translation.get_language()


def test_a_task_started_from_a_spanish_page_runs_in_english():
    with translation.override("es"):
        seen = language_seen.apply().get()
        after = translation.get_language()

    assert seen == "en"
    assert after == "es"


def test_a_task_started_with_no_language_leaves_none_behind():
    translation.deactivate_all()

    seen = language_seen.apply().get()

    assert seen == "en"
    assert translation.get_language() == "en"
