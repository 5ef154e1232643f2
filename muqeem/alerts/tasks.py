from django_tasks import task

from muqeem.alerts.services import alert_digest_email_send


@task()
def alert_digest_email_task(*, digest_id: int) -> bool:
    return alert_digest_email_send(digest_id=digest_id)
