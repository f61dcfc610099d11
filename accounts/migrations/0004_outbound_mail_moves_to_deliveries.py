"""`mail_outbox` is gone: its rows are deliveries of kind "mail" now (delivery 0002 copied them)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_outbound_mail_stand_ins"),
        ("delivery", "0002_mail_outbox_rows"),
    ]

    operations = [migrations.DeleteModel(name="OutboundMail")]
