from django_tasks import task

from muqeem.notifications.services import sms_deliver


@task()
def sms_deliver_task(*, message_id: int) -> bool:
    return sms_deliver(message_id=message_id)
