"""Clients keep the docs page's custom_fields example beside their schema (tenants/schema_example.py),
worked out here once for the clients that exist, so their pages keep the example they showed."""

from django.db import migrations

import tenants.models


def work_out_examples(apps, schema_editor):
    # The current code, not a copy: the example is what the page would have computed on each GET.
    from tenants.schema_example import custom_fields_example

    Client = apps.get_model("tenants", "Client")
    for client in Client.objects.only("client_id", "custom_fields_schema"):
        if client.custom_fields_schema is not None:  # in Python: a JSON field's `=None` lookup means JSON null
            client.custom_fields_example = custom_fields_example(client.custom_fields_schema)
            client.save(update_fields=["custom_fields_example"])


class Migration(migrations.Migration):

    dependencies = [
        ('tenants', '0007_users_tables_evolve'),
    ]

    operations = [
        migrations.AddField(
            model_name='client',
            name='custom_fields_example',
            field=tenants.models.OrderedJSONField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(work_out_examples, migrations.RunPython.noop),
    ]
