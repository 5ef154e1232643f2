from django_tasks import task

from muqeem.webhooks.services import webhook_deliver


@task()
def webhook_deliver_task(*, delivery_id: int) -> bool:
    return webhook_deliver(delivery_id=delivery_id)
