"""Once brought every users table up to the live model by calling the live provisioning code.

Migrations must not run today's code (it knows only today's model), so this now does nothing: 0007
applies the users-table steps of `tenants.users_table_steps`, the first of which is the
`token_generation` column this added, to every client whatever its table's age.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tenants", "0003_client_created_at_milliseconds")]

    operations = []
