import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models import F


def status_changed_at_from_created_at(apps, schema_editor):
    DeliveryOrder = apps.get_model("delivery", "DeliveryOrder")
    DeliveryOrder.objects.update(status_changed_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("delivery", "0001_initial"),
        ("integrations", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(name="deliveryevent", options={"ordering": ["id"]}),
        migrations.AddField(
            model_name="deliveryorder",
            name="status_changed_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, verbose_name="last change"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(status_changed_at_from_created_at, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="deliveryevent",
            name="source",
            field=models.CharField(
                choices=[
                    ("portal", "Muqeem portal"),
                    ("postal", "Saudi Post"),
                    ("staff", "Passports directorate"),
                ],
                max_length=10,
                verbose_name="source",
            ),
        ),
        migrations.AddField(
            model_name="deliveryevent",
            name="recorded_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, verbose_name="recorded at"
            ),
        ),
        migrations.AddField(
            model_name="deliveryevent",
            name="recorded_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="deliveryevent",
            name="credential",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="integrations.integrationcredential",
            ),
        ),
        migrations.AddConstraint(
            model_name="deliveryorder",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    status__in=[
                        "requested",
                        "printed",
                        "shipped",
                        "delivered",
                        "returned_to_sender",
                    ]
                ),
                name="delivery_order_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="deliveryorder",
            constraint=models.UniqueConstraint(
                condition=models.Q(status__in=["requested", "printed", "shipped"]),
                fields=("resident",),
                name="delivery_one_open_per_resident",
            ),
        ),
        migrations.AddConstraint(
            model_name="deliveryevent",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    status__in=[
                        "requested",
                        "printed",
                        "shipped",
                        "delivered",
                        "returned_to_sender",
                    ]
                ),
                name="delivery_event_status_valid",
            ),
        ),
    ]
