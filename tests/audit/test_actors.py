"""Every change made by hand names who made it: the staff member in the admin (id, username, their
address), the operator of a `manage.py` command (--actor, or the OS user) and the command."""

import getpass
import json
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError
from django.test import Client as BrowserClient
from django.utils import timezone

from accounts.models import MailKind, RefreshToken
from delivery.models import Delivery, Status
from tenants.models import AccessKey, Client
from tenants.services import client_deactivate
from tenants.user_models import user_model_for
from tests.accounts.conftest import SignedUpUser, call, sign_up
from tests.audit.conftest import records_written_by, run_command
from tests.conftest import Tenant, make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

STAFF_NAME = "auditor"
OPERATOR = "ops-alice"


@dataclass
class Scene:
    """A client with a user, a failed mail and a second key, and a staff member logged in to the admin."""

    tenant: Tenant
    user: SignedUpUser
    mail: Delivery
    browser: BrowserClient
    staff_id: object

    @property
    def client(self) -> Client:
        return self.tenant.client

    def client_page(self, suffix: str = "change/") -> str:
        return f"/admin/tenants/client/{self.client.pk}/{suffix}"

    def users_page(self) -> str:
        return f"/admin/accounts/clients/{self.tenant.client_id}/users/"

    def key_id(self) -> str:
        return AccessKey.objects.filter(client=self.client).order_by("created_at").first().key_id


@pytest.fixture
def scene(transactional_db) -> Scene:
    tenant = make_tenant("Acme")
    user = sign_up(tenant, "ada@example.com")
    mail = Delivery.objects.create(
        client=tenant.client,
        kind="mail",
        topic=MailKind.VERIFY_EMAIL,
        target=user.email,
        payload={"user_id": str(user.user_id)},
        status=Status.FAILED,
        give_up_at=timezone.now(),
    )
    staff = get_user_model().objects.create_superuser(STAFF_NAME, "auditor@example.com", password=None)
    browser = BrowserClient()
    browser.force_login(staff)
    staff_id = staff.pk if isinstance(staff.pk, int) else str(staff.pk)
    return Scene(tenant=tenant, user=user, mail=mail, browser=browser, staff_id=staff_id)


# --- the admin -------------------------------------------------------------------------------


def client_action(action: str):
    return lambda scene: scene.browser.post("/admin/tenants/client/", {"action": action, "_selected_action": [str(scene.client.pk)]})


def reactivate(scene: Scene):
    client_deactivate(client=scene.client)
    return client_action("reactivate")(scene)


def add_client(scene: Scene):
    return scene.browser.post("/admin/tenants/client/add/", {"client_name": "Initech", "industry": "SaaS", "custom_fields_schema": "null"})


def change_client(scene: Scene):
    form = {
        "client_name": "Acme Renamed",
        "industry": scene.client.industry,
        "custom_fields_schema": "null",
        "rate_limits": "null",
        "access_keys-TOTAL_FORMS": "0",
        "access_keys-INITIAL_FORMS": "0",
    }
    return scene.browser.post(scene.client_page(), form)


def revoke_key(scene: Scene):
    return scene.browser.post(scene.client_page(f"access-keys/{scene.key_id()}/revoke/"))


def delete_client(scene: Scene):
    return scene.browser.post(scene.client_page("delete/"), {"post": "yes"})


def revoke_family(scene: Scene):
    row = RefreshToken.objects.get(client=scene.client)
    return scene.browser.post("/admin/accounts/refreshtoken/", {"action": "revoke_family", "_selected_action": [str(row.pk)]})


def user_row_action(action: str, **extra):
    return lambda scene: scene.browser.post(scene.users_page(), {"row_action": f"{action}:{scene.user.user_id}", **extra})


def mail_action(action: str, status: str = Status.FAILED):
    def act(scene: Scene):
        Delivery.objects.filter(pk=scene.mail.pk).update(status=status)
        return scene.browser.post("/admin/delivery/delivery/", {"action": action, "_selected_action": [str(scene.mail.pk)]})

    return act


def reactivate_user(scene: Scene):
    user_row_action("deactivate")(scene)
    return user_row_action("reactivate")(scene)


ADMIN_ACTIONS = [
    ("add-client", add_client, "client_register"),
    ("change-client", change_client, "client_update"),
    ("rotate-key", client_action("rotate_access_key"), "access_key_rotate"),
    ("revoke-key", revoke_key, "access_key_revoke"),
    ("deactivate-client", client_action("deactivate"), "client_deactivate"),
    ("reactivate-client", reactivate, "client_reactivate"),
    ("delete-client", delete_client, "client_delete"),
    ("revoke-family", revoke_family, "token_revoke"),
    ("deactivate-user", user_row_action("deactivate"), "user_update"),
    ("reactivate-user", reactivate_user, "user_update"),
    ("delete-user", user_row_action("delete", confirm="yes"), "user_delete"),
    ("retry-mail", mail_action("retry_deliveries"), "mail_retry"),
    ("discard-mail", mail_action("discard_deliveries"), "mail_discard"),
]


@pytest.mark.parametrize(("act", "action"), [case[1:] for case in ADMIN_ACTIONS], ids=[case[0] for case in ADMIN_ACTIONS])
def test_each_admin_action_names_the_staff_member(scene, act, action):
    """The action's record names the staff member (id, username, via the admin) and their address."""
    response, records = records_written_by(lambda: act(scene))
    assert response.status_code in (200, 302)
    [record] = [record for record in records if record.action == action][-1:]
    assert record.status == "success"
    assert record.metadata["actor"] == {"kind": "staff", "id": scene.staff_id, "username": STAFF_NAME, "via": "admin"}
    assert record.ip_address == "127.0.0.1"


def test_a_client_setting_changed_in_the_admin_is_recorded_with_the_fields_changed(scene):
    """Saving the change form records which settings changed; saving it unchanged records nothing."""
    _, records = records_written_by(lambda: change_client(scene))
    assert [(record.action, record.metadata["fields"]) for record in records] == [("client_update", ["client_name"])]
    assert Client.objects.get(pk=scene.client.pk).client_name == "Acme Renamed"

    _, unchanged = records_written_by(lambda: change_client(scene))
    assert unchanged == []


# --- the commands ----------------------------------------------------------------------------


def with_client(command: str, *extra: str):
    return lambda scene: (command, scene.tenant.client_id, *extra)


def normalize(scene: Scene):
    user_model_for(scene.client.client_id).objects.filter(pk=scene.user.user_id).update(email="ADA@example.com")
    return ("normalize_emails", scene.tenant.client_id)


def reactivate_command(scene: Scene):
    client_deactivate(client=scene.client)
    return ("reactivate_client", scene.tenant.client_id)


def mail_outbox(option: str):
    return lambda scene: ("mail_outbox", option)


def purge_tokens(scene: Scene):
    RefreshToken.objects.filter(client=scene.client).update(expires_at=timezone.now() - timedelta(days=1))
    return ("purge_tokens",)


COMMANDS = [
    ("create_client", lambda scene: ("create_client", "--name", "Initech", "--industry", "SaaS"), "client_register"),
    ("rotate_access_key", with_client("rotate_access_key"), "access_key_rotate"),
    ("revoke_access_key", lambda scene: ("revoke_access_key", scene.tenant.client_id, scene.key_id()), "access_key_revoke"),
    ("deactivate_client", with_client("deactivate_client"), "client_deactivate"),
    ("reactivate_client", reactivate_command, "client_reactivate"),
    ("delete_client", with_client("delete_client", "--yes"), "client_delete"),
    ("mail_outbox-retry", mail_outbox("--retry-failed"), "mail_retry"),
    ("mail_outbox-discard", mail_outbox("--discard-failed"), "mail_discard"),
    ("purge_tokens", purge_tokens, "token_purge"),
    ("purge_audit", lambda scene: ("purge_audit", "--older-than", "1d"), "audit_purge"),
    ("normalize_emails", normalize, "email_normalize"),
]


@pytest.mark.parametrize(("arguments", "action"), [case[1:] for case in COMMANDS], ids=[case[0] for case in COMMANDS])
def test_each_command_that_changes_state_names_its_actor_and_itself(scene, arguments, action):
    """The command's record names the --actor given and the command, with no address."""
    command_line = arguments(scene)
    _, records = records_written_by(lambda: run_command(*command_line, "--actor", OPERATOR))
    [record] = [record for record in records if record.action == action]
    assert record.status == "success"
    assert record.metadata["actor"] == {"kind": "operator", "id": None, "username": OPERATOR, "via": f"manage.py {command_line[0]}"}
    assert record.ip_address is None


def test_rotate_signing_key_names_its_actor_and_the_keys(scene, settings, tmp_path):
    """A signing-key rotation is recorded with the operator, the new key's kid and when it signs."""
    from accounts.signing_keys import keyring
    from tests.accounts.test_signing_key_rotation import new_private_key, pem_of, replace_file

    key_file = tmp_path / "signing_keys.pem"
    replace_file(key_file, pem_of(new_private_key()).decode())
    settings.AUTHSVC_JWT_PRIVATE_KEY_FILE = str(key_file)
    _, records = records_written_by(lambda: run_command("rotate_signing_key", "--actor", OPERATOR))
    [record] = records
    assert (record.action, record.status, record.client_id) == ("signing_key_rotate", "success", None)
    assert record.metadata["actor"] == {"kind": "operator", "id": None, "username": OPERATOR, "via": "manage.py rotate_signing_key"}
    assert record.metadata["kid"] == keyring().jwks()["keys"][0]["kid"]  # the new key, published first
    assert record.metadata["signs_from"] is not None and record.metadata["at_once"] is False


def test_a_command_without_actor_names_the_os_user(scene):
    """Without --actor, the record names the OS user running the command."""
    _, records = records_written_by(lambda: run_command("deactivate_client", scene.tenant.client_id))
    [record] = records
    assert record.metadata["actor"]["username"] == getpass.getuser()


@pytest.mark.parametrize("actor", ["", "   ", "x" * 151, "tab\there"], ids=["empty", "blank", "too-long", "control-character"])
def test_an_unusable_actor_is_refused_and_changes_nothing(scene, actor):
    """An empty, over-long or unprintable --actor stops the command before it changes anything."""
    _, records = records_written_by(lambda: pytest.raises(CommandError, run_command, "deactivate_client", scene.tenant.client_id, "--actor", actor))
    assert records == []
    assert Client.objects.get(pk=scene.client.pk).is_active


# --- what a client sees of it ------------------------------------------------------------------


def test_the_audit_api_shows_clients_that_staff_acted_but_not_who(scene):
    """A record of a staff action reaches the client's audit API with the actor's kind and surface only."""
    client_action("rotate_access_key")(scene)  # the client's own key stays valid after a rotation
    response = call(scene.tenant, "audit?action=access_key_rotate", method="GET")
    assert response.status_code == 200
    [record] = response.json()["results"]
    assert record["metadata"]["actor"] == {"kind": "staff", "via": "admin"}
    assert STAFF_NAME not in json.dumps(response.json())
