"""Per-client user tables are not migrated by `migrate` (tenants/routers.py): this brings every
existing one up to the current model, e.g. the `token_generation` column (docs/api.md §5)."""

from django.db import migrations


def provision_every_client(apps, schema_editor):
    # The current provisioning code, not a historical model: it only adds what is missing.
    from tenants.provisioning import provision_user_collection

    for client_id in apps.get_model("tenants", "Client").objects.values_list("client_id", flat=True):
        provision_user_collection(client_id)


class Migration(migrations.Migration):
    # Schema changes on SQLite cannot run inside the migration's transaction.
    atomic = False

    dependencies = [("tenants", "0003_client_created_at_milliseconds")]

    operations = [migrations.RunPython(provision_every_client, migrations.RunPython.noop)]
