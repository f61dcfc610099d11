"""Clients choose a refresh reuse interval (seconds, 0-300); every existing client keeps strict rotation (0)."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tenants', '0011_client_mail_settings'),
    ]

    operations = [
        migrations.AddField(
            model_name='client',
            name='refresh_reuse_interval',
            field=models.PositiveIntegerField(default=0, help_text='Seconds (0 to 300) during which a refresh token presented again right after it was spent answers the same new refresh token instead of revoking the login as reuse. 0: strict rotation.', validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(300)]),
        ),
    ]
