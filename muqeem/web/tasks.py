from typing import Any

from django_tasks import task

from muqeem.core.dates import today
from muqeem.web.jobs import daily_jobs_run


@task()
def daily_jobs_task() -> dict[str, Any]:
    return daily_jobs_run(on=today())
