"""Beat entries of the compliance app point at real tasks and expire before their next run."""

from __future__ import annotations

from django.conf import settings

from portal.celery import app


def test_compliance_beat_entries_name_registered_tasks_and_expire_in_time():
    import compliance.tasks  # noqa: F401  (registers the tasks)

    entries = {
        k: v for k, v in settings.CELERY_BEAT_SCHEDULE.items() if k.startswith("compliance-")
    }
    assert set(entries) == {
        "compliance-refresh-catalogue",
        "compliance-deadline-reminders",
        "compliance-document-retention",
        "compliance-sync-requirement-groups",
        "compliance-warm-dashboard",
    }
    for entry in entries.values():
        assert entry["task"] in app.tasks
        assert 0 < entry["options"]["expires"] < entry["schedule"]


def test_the_submission_chain_carries_only_the_submission_id():
    from compliance.tasks import submission_chain

    signature = submission_chain(42)
    assert [task.args for task in signature.tasks] == [(42,), (42,), (42,)]
    assert all(task.kwargs == {} for task in signature.tasks)
    assert all(task.immutable for task in signature.tasks)
