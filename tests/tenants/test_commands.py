"""The tenants `manage.py` commands: their output, their exit behaviour and what they leave in the store."""

import re
import uuid
from dataclasses import dataclass
from io import StringIO

import pytest
from django.apps.registry import Apps
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import connections

from core.events import subscribe, unsubscribe
from tenants.events import ClientRegistered
from tenants.models import AbstractTenantUser, AccessKey, Client
from tenants.provisioning import drop_user_collection, has_unique_email_index, tenant_table_exists
from tenants.routers import TenantRouter
from tenants.services import client_deactivate
from tenants.user_models import user_model_for, users_table_name
from tests.audit.conftest import records_written_by
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

ACCESS_KEY = re.compile(r"ak_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}")
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
HOSTILE_ID = "x'; DROP TABLE clients; --"


@dataclass
class Output:
    out: str
    err: str


def run(*args: str) -> Output:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return Output(out.getvalue(), err.getvalue())


def printed(name: str, out: str) -> str:
    """The value of a `name: value` line of a command's output."""
    match = re.search(rf"^{re.escape(name)}:\s+(\S+)$", out, re.MULTILINE)
    assert match, f"no {name!r} line in:\n{out}"
    return match[1]


def _tenant_connection(client_id: uuid.UUID):
    return connections[TenantRouter().db_for_write(user_model_for(client_id))]


def collection_state(client_id: uuid.UUID) -> tuple[bool, bool]:
    """(the users collection exists, it has the unique email index)."""
    connection = _tenant_connection(client_id)
    table = users_table_name(client_id)
    exists = tenant_table_exists(connection, table)
    return exists, exists and has_unique_email_index(connection, table)


def recreate_without_email_index(client_id: uuid.UUID) -> None:
    """Leave the collection in place but without its unique email index, as a half-done provisioning would.

    Rebuilt from a constraint-free copy of the schema because SQLite cannot drop a table's inline UNIQUE.
    """
    drop_user_collection(client_id)
    meta = type("Meta", (), {"app_label": "bare_tenant_users", "apps": Apps(), "db_table": users_table_name(client_id)})
    bare_model = type(f"BareUser_{client_id.hex}", (AbstractTenantUser,), {"__module__": __name__, "Meta": meta})
    with _tenant_connection(client_id).schema_editor() as editor:
        editor.create_model(bare_model)


def insert_duplicate_users(client_id: uuid.UUID) -> None:
    """Two users with one email: the unique index can no longer be built, so provisioning must fail."""
    model = user_model_for(client_id)
    using = TenantRouter().db_for_write(model)
    for _ in range(2):
        model.objects.using(using).create(email="twin@example.com", password_hash="x")


def key_status(api, tenant_id: str, key: str) -> int:
    return api.get(f"/api/v1/{tenant_id}/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code


def key_id_of(access_key: str) -> str:
    return access_key.split(".")[0].removeprefix("ak_")


# --- create_client -----------------------------------------------------------------------


def test_create_client_prints_id_key_once_and_docs_url(api):
    """create_client registers the client and prints its id, a working key (with a once-only warning) and docs URL."""
    result = run("create_client", "--name", "Acme AI", "--industry", "AI/ML", "--require-email-verification")

    client = Client.objects.get(pk=printed("client_id", result.out))
    key = printed("access_key", result.out)
    assert (client.client_name, client.industry, client.require_email_verification) == ("Acme AI", "AI/ML", True)
    assert printed("documentation_url", result.out).endswith(f"/docs/clients/{client.client_id}/")
    assert "will not be shown again" in result.out
    assert len(ACCESS_KEY.findall(result.out)) == 1
    assert key_status(api, str(client.client_id), key) == 200


def test_create_client_provisions_collection_with_unique_email_index():
    """The new client's users collection exists with its unique email index."""
    result = run("create_client", "--name", "Acme", "--industry", "SaaS")

    client_id = uuid.UUID(printed("client_id", result.out))
    assert collection_state(client_id) == (True, True)


@pytest.mark.parametrize(("given", "stored"), [("saas", "SaaS"), ("E-COMMERCE", "E-commerce")])
def test_create_client_accepts_industry_in_any_case(given, stored):
    """An industry typed in another case is stored as the canonical choice."""
    result = run("create_client", "--name", "Acme", "--industry", given)

    assert Client.objects.get(pk=printed("client_id", result.out)).industry == stored


def test_create_client_announces_command_surface():
    """Registration by command is announced with surface "command", for the audit trail."""
    surfaces = []

    def receiver(event: ClientRegistered) -> None:
        surfaces.append(event.surface)

    subscribe(ClientRegistered, receiver)
    try:
        run("create_client", "--name", "Acme", "--industry", "SaaS")
    finally:
        unsubscribe(ClientRegistered, receiver)
    assert surfaces == ["command"]


# --- errors, shared by every command -----------------------------------------------------

ERROR_CASES = [
    (["create_client", "--name", "Acme", "--industry", "Crypto"], "choose one of: AI/ML, E-commerce, SaaS"),
    (["create_client", "--name", "   ", "--industry", "SaaS"], "--name: This field may not be blank"),
    (["create_client", "--name", "Acme"], "the following arguments are required: --industry"),
    (["list_clients", "--industry", "Crypto"], "choose one of: AI/ML"),
    (["list_clients", "--active", "--inactive"], "not allowed with argument"),
    (["provision_tenants"], "either --all or one or more client_ids"),
    (["provision_tenants", "--all", UNKNOWN_ID], "either --all or one or more client_ids"),
    (["delete_client", HOSTILE_ID, "--yes"], "is not a client_id"),
]
for command, extra in [
    ("rotate_access_key", []),
    ("deactivate_client", []),
    ("reactivate_client", []),
    ("list_access_keys", []),
    ("delete_client", ["--yes"]),
    ("provision_tenants", []),
]:
    ERROR_CASES += [
        ([command, "not-a-uuid", *extra], "'not-a-uuid' is not a client_id"),
        ([command, UNKNOWN_ID, *extra], f"No client '{UNKNOWN_ID}'"),
    ]


@pytest.mark.parametrize(("args", "message"), ERROR_CASES, ids=[" ".join(args) for args, _ in ERROR_CASES])
def test_bad_input_raises_command_error_and_changes_nothing(tenant, args, message):
    """Bad input gives a CommandError with a clear message, and no client, key or collection changes."""
    before = (Client.objects.count(), AccessKey.objects.filter(revoked_at__isnull=True).count())

    with pytest.raises(CommandError, match=re.escape(message)):
        run(*args)

    assert (Client.objects.count(), AccessKey.objects.filter(revoked_at__isnull=True).count()) == before
    assert Client.objects.get(pk=tenant.client.pk).is_active
    assert collection_state(tenant.client.client_id) == (True, True)


@pytest.mark.parametrize(
    ("argv", "exit_code", "message"),
    [
        (["rotate_access_key", "not-a-uuid"], 1, "CommandError: 'not-a-uuid' is not a client_id"),
        (["deactivate_client", UNKNOWN_ID], 1, f"CommandError: No client '{UNKNOWN_ID}'"),
        (["create_client", "--name", "Acme", "--industry", "Crypto"], 1, "CommandError: Unknown industry 'Crypto'"),
        (["provision_tenants"], 1, "CommandError: Give either --all"),
        (["list_clients", "--active", "--inactive"], 2, "not allowed with argument --active"),
    ],
)
def test_command_line_failure_exits_non_zero_without_traceback(capsys, argv, exit_code, message):
    """Run as `manage.py ...`, a failure exits non-zero with a one-line message on stderr, no traceback."""
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", *argv])

    stderr = capsys.readouterr().err
    assert exit_info.value.code == exit_code
    assert message in stderr
    assert "Traceback" not in stderr


# --- list_clients ------------------------------------------------------------------------


def test_list_clients_prints_a_table_with_live_key_counts(tenant, other_tenant):
    """list_clients prints one row per client with its industry, state and number of live keys."""
    run("rotate_access_key", tenant.client_id)
    client_deactivate(client=other_tenant.client)

    lines = run("list_clients").out.splitlines()

    assert lines[0].split() == ["client_id", "name", "industry", "active", "created", "live_keys"]
    rows = {line.split()[0]: line.split() for line in lines[1:-1]}
    assert rows[tenant.client_id][1:4] + rows[tenant.client_id][-1:] == ["Acme", "SaaS", "yes", "2"]
    assert rows[other_tenant.client_id][1:4] + rows[other_tenant.client_id][-1:] == ["Globex", "E-commerce", "no", "1"]
    assert lines[-1] == "2 client(s)."


def test_list_clients_never_prints_a_key(tenant):
    """Neither a key, its secret nor its stored hash appears in the listing."""
    rotated_key = printed("access_key", run("rotate_access_key", tenant.client_id).out)

    out = run("list_clients", "-v", "3").out

    assert ACCESS_KEY.search(out) is None
    for key in (tenant.access_key, rotated_key):
        assert key.split(".")[1] not in out
    for secret_hash in AccessKey.objects.values_list("secret_hash", flat=True):
        assert secret_hash not in out


@pytest.mark.parametrize(
    ("args", "listed"),
    [
        ([], {"Acme", "Globex", "Initech"}),
        (["--industry", "saas"], {"Acme", "Initech"}),
        (["--active"], {"Acme", "Globex"}),
        (["--inactive"], {"Initech"}),
        (["--industry", "E-commerce", "--inactive"], set()),
    ],
)
def test_list_clients_filters_by_industry_and_state(transactional_db, args, listed):
    """--industry, --active and --inactive narrow the listing; an empty result says so."""
    for name, industry in [("Acme", "SaaS"), ("Globex", "E-commerce"), ("Initech", "SaaS")]:
        created = make_tenant(name, industry)
    client_deactivate(client=created.client)

    out = run("list_clients", *args).out

    assert {name for name in ("Acme", "Globex", "Initech") if name in out} == listed
    assert ("No clients match." in out) == (not listed)


# --- provision_tenants -------------------------------------------------------------------


def test_provision_tenants_recreates_a_dropped_collection_and_rerun_is_harmless(tenant, other_tenant):
    """A dropped collection is created again with its index; a second run changes nothing."""
    drop_user_collection(tenant.client.client_id)
    assert collection_state(tenant.client.client_id) == (False, False)

    first = run("provision_tenants", tenant.client_id, other_tenant.client_id).out
    second = run("provision_tenants", "--all").out

    assert f"created   {tenant.client_id}  Acme" in first
    assert f"unchanged {other_tenant.client_id}  Globex" in first
    assert "Provisioned 2 client(s): 1 created, 0 upgraded, 0 repaired, 1 unchanged, 0 failed." in first
    assert "Provisioned 2 client(s): 0 created, 0 upgraded, 0 repaired, 2 unchanged, 0 failed." in second
    assert collection_state(tenant.client.client_id) == (True, True)


def test_provision_tenants_repairs_a_missing_unique_index(tenant):
    """A collection that lost its unique email index gets it back, reported as repaired."""
    recreate_without_email_index(tenant.client.client_id)
    assert collection_state(tenant.client.client_id) == (True, False)

    out = run("provision_tenants", tenant.client_id).out

    assert f"repaired  {tenant.client_id}" in out
    assert collection_state(tenant.client.client_id) == (True, True)


def test_provision_tenants_continues_past_a_failing_client_then_exits_non_zero(tenant, other_tenant):
    """One client that cannot be repaired is reported; the others are still provisioned; the run fails at the end."""
    recreate_without_email_index(tenant.client.client_id)
    insert_duplicate_users(tenant.client.client_id)
    drop_user_collection(other_tenant.client.client_id)
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError, match=rf"1 of 2 client\(s\) failed to provision: {tenant.client_id}\."):
        call_command("provision_tenants", tenant.client_id, other_tenant.client_id, stdout=out, stderr=err)

    assert f"failed    {tenant.client_id}  Acme:" in err.getvalue()
    assert f"created   {other_tenant.client_id}  Globex" in out.getvalue()
    assert "1 created, 0 upgraded, 0 repaired, 0 unchanged, 1 failed." in out.getvalue()
    assert collection_state(other_tenant.client.client_id) == (True, True)


def test_provision_tenants_checks_every_id_before_provisioning_any(tenant):
    """A bad id anywhere in the list stops the run before any collection is touched."""
    drop_user_collection(tenant.client.client_id)

    with pytest.raises(CommandError, match=f"No client '{UNKNOWN_ID}'"):
        run("provision_tenants", tenant.client_id, UNKNOWN_ID)

    assert collection_state(tenant.client.client_id) == (False, False)


@pytest.mark.parametrize(("verbosity", "unchanged_lines"), [("1", 0), ("2", 4)])
def test_provision_tenants_reports_progress_when_many(transactional_db, verbosity, unchanged_lines):
    """With more clients than --progress-every, progress lines replace per-client unchanged lines (unless -v 2)."""
    tenants = [make_tenant(f"Tenant {n}") for n in range(5)]
    drop_user_collection(tenants[2].client.client_id)

    lines = run("provision_tenants", "--all", "--progress-every", "2", "-v", verbosity).out.splitlines()

    assert [line for line in lines if line.startswith("[")] == [
        "[2/5] 0 created, 0 upgraded, 0 repaired, 2 unchanged, 0 failed",
        "[4/5] 1 created, 0 upgraded, 0 repaired, 3 unchanged, 0 failed",
    ]
    assert f"created   {tenants[2].client_id}  Tenant 2" in lines
    assert sum(line.startswith("unchanged ") for line in lines) == unchanged_lines
    assert lines[-1] == "Provisioned 5 client(s): 1 created, 0 upgraded, 0 repaired, 4 unchanged, 0 failed."


# --- deactivate_client and delete_client -------------------------------------------------


def test_deactivate_client_makes_its_keys_refused(api, tenant):
    """After deactivate_client the client's key gets 403; running it again says it already was."""
    first = run("deactivate_client", tenant.client_id).out
    again = run("deactivate_client", tenant.client_id).out

    assert "Deactivated client 'Acme'" in first
    assert "already inactive" in again
    assert Client.objects.get(pk=tenant.client.pk).is_active is False
    assert key_status(api, tenant.client_id, tenant.access_key) == 403


def test_reactivate_client_makes_its_unrevoked_keys_accepted_again(api, tenant):
    """After reactivate_client a deactivated client's keys answer 200 again, except one revoked meanwhile;
    running it again says it already was active."""
    second_key = printed("access_key", run("rotate_access_key", tenant.client_id).out)
    run("deactivate_client", tenant.client_id)
    run("revoke_access_key", tenant.client_id, key_id_of(second_key))
    assert key_status(api, tenant.client_id, tenant.access_key) == 403

    first = run("reactivate_client", tenant.client_id).out
    again = run("reactivate_client", tenant.client_id).out

    assert f"Reactivated client 'Acme' ({tenant.client_id})." in first
    assert "was already active" in again
    assert Client.objects.get(pk=tenant.client.pk).is_active is True
    assert [key_status(api, tenant.client_id, key) for key in (tenant.access_key, second_key)] == [200, 401]


def client_id_of(tenant) -> list[str]:
    return [tenant.client_id]


def first_key_of(tenant) -> list[str]:
    return [tenant.client_id, key_id_of(tenant.access_key)]


def deactivated(tenant) -> None:
    client_deactivate(client=tenant.client)


# (command, what must be done first, its arguments, the audit action it records)
AUDITED_COMMANDS = [
    ("deactivate_client", None, client_id_of, "client_deactivate"),
    ("reactivate_client", deactivated, client_id_of, "client_reactivate"),
    ("rotate_access_key", None, client_id_of, "access_key_rotate"),
    ("revoke_access_key", None, first_key_of, "access_key_revoke"),
]


@pytest.mark.parametrize(("command", "prepare", "arguments", "action"), AUDITED_COMMANDS, ids=[case[0] for case in AUDITED_COMMANDS])
def test_each_switch_command_leaves_one_audit_record(tenant, command, prepare, arguments, action):
    """Each command that changes a client or a key records one success under its action, for that client."""
    if prepare is not None:
        prepare(tenant)

    _, records = records_written_by(lambda: run(command, *arguments(tenant)))

    assert [(record.action, record.status, record.client_id) for record in records] == [(action, "success", tenant.client.client_id)]


def test_delete_client_with_yes_drops_collection_keys_and_row(tenant, other_tenant):
    """delete_client --yes removes the client row, its keys and its collection, and nothing of another client."""
    out = run("delete_client", tenant.client_id, "--yes").out

    assert f"Deleted client 'Acme' ({tenant.client_id})" in out
    assert not Client.objects.filter(pk=tenant.client.pk).exists()
    assert not AccessKey.objects.filter(client_id=tenant.client.pk).exists()
    assert collection_state(tenant.client.client_id) == (False, False)
    assert collection_state(other_tenant.client.client_id) == (True, True)
    assert AccessKey.objects.filter(client=other_tenant.client).count() == 1


def test_delete_client_without_yes_refuses_and_deletes_nothing(tenant):
    """Without --yes delete_client fails with a clear message and leaves the client whole."""
    with pytest.raises(CommandError, match="Refusing to delete client 'Acme'.* without --yes.*Nothing was deleted"):
        run("delete_client", tenant.client_id)

    assert Client.objects.filter(pk=tenant.client.pk).exists()
    assert AccessKey.objects.filter(client=tenant.client).count() == 1
    assert collection_state(tenant.client.client_id) == (True, True)
