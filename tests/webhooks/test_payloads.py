"""Every webhook event type, caused through the API the way a client's backend causes it, reaches
the receiver as `{"type", "timestamp", "data"}` with who and where from, and no message holds any
secret of the exchange: passwords, their hashes, tokens, mailed link tokens, keys, the webhook's secret."""

import pytest

from accounts.email_tokens import Purpose, email_token_make
from accounts.flows.unlock import user_unlock
from tenants.user_models import user_model_for
from tests.accounts.conftest import PASSWORD, call
from tests.conftest import make_tenant
from tests.webhooks.conftest import create_webhook, deliver
from webhooks.serializers import EVENT_NAMES

pytestmark = pytest.mark.django_db(transaction=True)

END_USER = {"HTTP_X_END_USER_IP": "198.51.100.9", "HTTP_X_END_USER_AGENT": "Safari/19"}
CHANGED, RESET = "Another-horse-battery-7", "Third-horse-battery-8"
OLD, NEW = "ada@example.com", "ada.lovelace@example.org"


class Session:
    """The calls of one user's life at a client that requires verification, keeping every secret seen."""

    def __init__(self, tenant):
        self.tenant, self.secrets = tenant, {PASSWORD, CHANGED, RESET, tenant.access_key, tenant.access_key.split(".")[-1]}
        self.user_id = None

    def call(self, path, body=None, *, method="POST", expect=200) -> dict:
        response = call(self.tenant, path, body, method=method, **END_USER)
        assert response.status_code == expect, (path, response.content)
        answer = response.json() if response.content else {}
        self.secrets |= {answer[name] for name in ("access_token", "refresh_token") if name in answer}
        return answer

    def mailed_token(self, purpose: Purpose, **extra) -> str:
        user = self.row()
        self.secrets.add(user.password_hash)
        token = email_token_make(client=self.tenant.client, user=user, purpose=purpose, **extra)
        self.secrets.add(token)
        return token

    def row(self):
        return user_model_for(self.tenant.client).objects.get(pk=self.user_id)


def live_a_users_life(session: Session) -> None:
    """Each webhook event type at least once, from sign-up to deletion."""
    session.user_id = session.call("signup", {"email": OLD, "password": PASSWORD}, expect=201)["user_id"]  # user.created
    session.call("login", {"email": OLD, "password": PASSWORD}, expect=403)  # user.login_failed (email not verified)
    session.call("email/verify", {"token": session.mailed_token(Purpose.VERIFY_EMAIL)})  # user.email_verified
    first = session.call("login", {"email": OLD, "password": PASSWORD})  # user.login
    session.call("login", {"email": OLD, "password": "Wrong-horse-battery-0"}, expect=401)  # user.login_failed
    session.call("login", {"email": OLD, "password": "Wrong-horse-battery-0"}, expect=401)  # user.locked_out (the 2nd)
    user_unlock(client=session.tenant.client, user=session.row())  # user.unlocked (staff, in the admin)
    session.call("token/refresh", {"refresh_token": first["refresh_token"]})
    session.call("token/refresh", {"refresh_token": first["refresh_token"]}, expect=401)  # token.reuse_detected
    path = f"users/{session.user_id}"
    session.call(path, {"custom_fields": {"plan": "pro"}}, method="PATCH")  # user.updated
    session.call(path, {"email": NEW}, method="PATCH")  # user.updated (pending)
    session.call("email/verify", {"token": session.mailed_token(Purpose.CHANGE_EMAIL, new_email=NEW)})  # user.email_changed
    session.call(f"{path}/password", {"current_password": PASSWORD, "new_password": CHANGED}, expect=204)  # user.password_changed
    session.call("password/reset", {"token": session.mailed_token(Purpose.RESET_PASSWORD), "new_password": RESET})  # user.password_reset
    session.secrets.add(session.row().password_hash)
    session.call(path, method="DELETE", expect=204)  # user.deleted


def test_every_webhook_event_type_arrives_with_its_data_and_no_secret(receiver, transactional_db):
    """All webhook event types are received, each with the envelope's data; none of the session's
    secrets (nor the webhook's own) appears in any message, headers included."""
    tenant = make_tenant("Verify Co", require_email_verification=True, lockout={"mode": "lock", "max_failures": 2})
    webhook = create_webhook(tenant, receiver.url, EVENT_NAMES)
    session = Session(tenant)
    session.secrets.add(webhook["secret"])
    live_a_users_life(session)

    deliver()

    assert sorted(set(receiver.types())) == sorted(EVENT_NAMES)
    for item in receiver.received:
        message = item.json
        assert set(message) == {"type", "timestamp", "data"}
        # Staff's unlock came from no end user (its audit record names the staff member).
        where = {} if message["type"] == "user.unlocked" else {"ip": "198.51.100.9", "user_agent": "Safari/19"}
        assert {"client_id": tenant.client_id, "user_id": session.user_id, **where}.items() <= message["data"].items(), message
        sent = item.body.decode() + repr(item.headers)
        assert [secret for secret in session.secrets if secret in sent] == [], message["type"]
    by_type = {item.json["type"]: item.json["data"] for item in receiver.received}
    assert by_type["user.created"]["email"] == OLD and by_type["user.email_changed"]["email"] == NEW
    assert by_type["user.deleted"]["email"] is None  # gone by then
    assert by_type["token.reuse_detected"]["revoked"] >= 1
    assert (by_type["user.locked_out"]["mode"], by_type["user.locked_out"]["failures"]) == ("lock", 2)
