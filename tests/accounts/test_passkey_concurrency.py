"""Races on one passkey challenge, on each store: the same signed answer sent twice at the same moment logs in
once, and a registration's credential sent twice stores one passkey. Each challenge is spent with one
conditional update, and the passkey's counter moves on with the compare-and-set of the user's factors."""

import pytest

from accounts.models import PasskeyChallenge
from tests.accounts.conftest import ORIGIN, call, sign_up
from tests.authenticator import SoftAuthenticator
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db(transaction=True)


def test_one_signed_answer_sent_twice_at_once_logs_in_once(passkey_user):
    """Two login/passkey calls with the same challenge and credential, released together: one 200, one 401."""
    answer = passkey_user.login_options()
    credential = passkey_user.authenticator.get(answer["options"], origin=ORIGIN)
    body = {"challenge_id": answer["challenge_id"], "credential": credential}
    statuses = sorted(response.status_code for response in at_once(2, lambda: call(passkey_user.user.tenant, "login/passkey", body)))
    assert statuses == [200, 401]
    assert PasskeyChallenge.objects.get(pk=answer["challenge_id"]).spent_at is not None
    assert passkey_user.user.row().mfa["passkeys"][0]["sign_count"] == 1


def test_one_registration_credential_sent_twice_at_once_stores_one_passkey(passkey_tenant):
    """Two calls with the same credential, released together: one 201, one 400; one passkey stored."""
    user = sign_up(passkey_tenant)
    options = call(passkey_tenant, f"users/{user.user_id}/passkeys/registration/options").json()
    credential = SoftAuthenticator().create(options, origin=ORIGIN)
    responses = at_once(2, lambda: call(passkey_tenant, f"users/{user.user_id}/passkeys", {"credential": credential}))
    assert sorted(response.status_code for response in responses) == [201, 400]
    assert len(user.row().mfa["passkeys"]) == 1
