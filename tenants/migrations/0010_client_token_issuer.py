"""Clients choose the `iss` of their access tokens (Client.token_issuer). Those that exist keep the
service's issuer, which their offline verifiers are configured with (a new `iss` would fail every
token there at once); clients registered from now on get their own issuer by default."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tenants', '0009_client_smtp_url_sealed'),
    ]

    operations = [
        # Added with "service", which every existing row takes; then the default new rows get.
        migrations.AddField(
            model_name='client',
            name='token_issuer',
            field=models.CharField(choices=[('client', "This client's own: AUTHSVC_ISSUER/api/v1/{client_id}"), ('service', "The service's: AUTHSVC_ISSUER, shared by every client")], default='service', help_text='The iss of its access tokens. Switching applies to tokens minted from then on; earlier ones stay valid here until they expire, but verifiers configured with the old issuer refuse the new tokens: have the client accept both issuers first.', max_length=16),
        ),
        migrations.AlterField(
            model_name='client',
            name='token_issuer',
            field=models.CharField(choices=[('client', "This client's own: AUTHSVC_ISSUER/api/v1/{client_id}"), ('service', "The service's: AUTHSVC_ISSUER, shared by every client")], default='client', help_text='The iss of its access tokens. Switching applies to tokens minted from then on; earlier ones stay valid here until they expire, but verifiers configured with the old issuer refuse the new tokens: have the client accept both issuers first.', max_length=16),
        ),
    ]
