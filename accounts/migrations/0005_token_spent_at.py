"""`tokens` records when a refresh spent a token (`spent_at`), which the client's refresh reuse interval counts from."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_outbound_mail_moves_to_deliveries'),
    ]

    operations = [
        migrations.AddField(
            model_name='refreshtoken',
            name='spent_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
