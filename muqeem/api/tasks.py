from django_tasks import task

from muqeem.api.services import idempotency_records_purge


@task()
def idempotency_purge_task() -> int:
    return idempotency_records_purge()
