"""Clients choose a password policy and a lockout of failed logins (tenants.policies). Every existing
client gets the defaults, which are the rules it had: 8 to 1024 characters, common passwords refused,
no strength floor, no lockout."""

from django.db import migrations, models

import tenants.policies


class Migration(migrations.Migration):

    dependencies = [
        ('tenants', '0012_client_refresh_reuse_interval'),
    ]

    operations = [
        migrations.AddField(
            model_name='client',
            name='lockout',
            field=models.JSONField(default=tenants.policies.lockout_default, help_text='Consecutive failed logins of one email: {"mode": "off" | "throttle" | "lock", "max_failures": 1-100, "max_delay_seconds": 1-86400 (throttle), "forget_after_hours": 1-720}. Throttle: a wait after each failure past max_failures, doubling up to max_delay_seconds. Lock: none at all until a password reset or an unlock here.', validators=[tenants.policies.validate_lockout]),
        ),
        migrations.AddField(
            model_name='client',
            name='password_policy',
            field=models.JSONField(default=tenants.policies.password_policy_default, help_text='Rules for new passwords: {"min_length": 8-64, "max_length": 64-1024, "min_strength": 0-4 (zxcvbn score; 0: no estimate), "refuse_common": true/false}. Keys left out take their defaults.', validators=[tenants.policies.validate_password_policy]),
        ),
    ]
