"""A client's `password_policy` (docs/api.md §6a): every new password of its users, at sign-up, reset,
change and import, is refused or accepted as the policy says, the rule named, the password never echoed."""

import pytest
from django.contrib.auth.password_validation import CommonPasswordValidator

from accounts import password_policy
from accounts.email_tokens import Purpose, email_token_make
from accounts.validation import validate_new_password
from core.errors import InvalidRequest
from tenants.user_models import user_model_for
from tests.accounts.conftest import PASSWORD, call, import_users, ndjson, sign_up
from tests.conftest import make_tenant

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.store_independent]

STRONG = "q8#Lm2$vZ9pW-tr0ut"

# (policy, email, password, a piece of the refusal or None when accepted); the client is named Acme.
CASES = {
    "too-short": ({"min_length": 12}, "ada@example.com", "Sh0rt-pass!", "It must contain at least 12 characters."),
    "long-enough": ({"min_length": 12}, "ada@example.com", "Sh0rt-pass!x", None),
    "too-long": ({"max_length": 64}, "ada@example.com", "Aa1!" * 16 + "x", "It must contain at most 64 characters."),
    "at-the-maximum": ({"max_length": 64}, "ada@example.com", "Aa1!" * 16, None),
    "default-too-short": ({}, "ada@example.com", "Xy7#qa", "It must contain at least 8 characters."),
    "common": ({}, "ada@example.com", "password123", "This password is too common."),
    "common-allowed": ({"refuse_common": False}, "ada@example.com", "password123", None),
    "weak": ({"min_strength": 3}, "ada@example.com", "Summer2024", "too easy to guess (score 2, the client requires 3)"),
    "made-of-the-client-name": ({"min_strength": 3}, "ada@example.com", "acmeacme2024", "(score 1, the client requires 3)"),
    "made-of-the-email": ({"min_strength": 3}, "zebulon.quixote@example.com", "zebulonquixote", "(score 1, the client requires 3)"),
    "strong": ({"min_strength": 4}, "ada@example.com", STRONG, None),
    "strong-past-72-characters": ({"min_strength": 4}, "ada@example.com", STRONG * 6, None),
}


def tenant_with(policy: dict):
    return make_tenant("Acme", password_policy=policy)


@pytest.mark.parametrize(("policy", "email", "password", "refusal"), list(CASES.values()), ids=list(CASES))
def test_signup_refuses_and_accepts_what_the_policy_says(transactional_db, policy, email, password, refusal):
    """Refused: 400 naming the rule under fields.password, nothing stored, the password in no byte of
    the answer. Accepted: 201."""
    tenant = tenant_with(policy)

    response = call(tenant, "signup", {"email": email, "password": password})

    if refusal is None:
        assert response.status_code == 201, response.content
        return
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")
    assert any(refusal in message for message in response.json()["fields"]["password"]), response.json()
    assert password.encode() not in response.content
    assert user_model_for(tenant.client).objects.count() == 0


def reset(user, new_password: str):
    token = email_token_make(client=user.tenant.client, user=user.row(), purpose=Purpose.RESET_PASSWORD)
    return call(user.tenant, "password/reset", {"token": token, "new_password": new_password})


def change(user, new_password: str):
    return call(user.tenant, f"users/{user.user_id}/password", {"current_password": PASSWORD, "new_password": new_password})


@pytest.mark.parametrize("set_password", [reset, change], ids=["reset", "change"])
@pytest.mark.parametrize("case", ["too-short", "weak", "common", "strong"])
def test_reset_and_change_hold_the_new_password_to_the_policy(transactional_db, set_password, case):
    """The same rules under fields.new_password; a refused one changes nothing, an accepted one logs in."""
    policy, _, password, refusal = CASES[case]
    tenant = tenant_with({**policy, "min_length": max(policy.get("min_length", 8), 8)})
    user = sign_up(tenant, "ada@example.com", PASSWORD)

    response = set_password(user, password)

    if refusal is None:
        assert response.status_code in (200, 204), response.content
        assert call(tenant, "login", {"email": user.email, "password": password}).status_code == 200
        return
    assert response.status_code == 400
    assert any(refusal in message for message in response.json()["fields"]["new_password"]), response.json()
    assert password.encode() not in response.content
    assert call(tenant, "login", {"email": user.email, "password": PASSWORD}).status_code == 200


@pytest.mark.parametrize("case", ["too-short", "weak", "common", "strong"])
def test_an_import_with_clear_passwords_holds_them_to_the_policy(transactional_db, case):
    """POST users/import: a clear `password` the policy refuses is an invalid line naming the rule (never
    the password); an accepted one is a user who logs in with it."""
    policy, email, password, refusal = CASES[case]
    tenant = tenant_with(policy)

    response = import_users(tenant, ndjson({"email": email, "password": password}))

    report = response.json()
    if refusal is None:
        assert report["created"] == 1, report
        assert call(tenant, "login", {"email": email, "password": password}).status_code == 200
        return
    [invalid] = report["invalid_lines"]
    assert refusal in invalid["reason"], invalid
    assert password.encode() not in response.content


def test_every_rule_refused_is_listed(transactional_db):
    """A password breaking several rules is told each of them at once."""
    tenant = tenant_with({"min_length": 16, "min_strength": 4})

    response = call(tenant, "signup", {"email": "ada@example.com", "password": "password123"})

    messages = " ".join(response.json()["fields"]["password"])
    assert all(rule in messages for rule in ("at least 16 characters", "too common", "too easy to guess (score 0"))


def test_a_login_never_applies_the_policy(transactional_db):
    """A password set under an earlier policy still logs in once the client asks for more."""
    tenant = tenant_with({})
    user = sign_up(tenant, "ada@example.com", "Summer2024-x")
    tenant.client.password_policy = {**tenant.client.password_policy, "min_length": 20, "min_strength": 4}
    tenant.client.save()

    assert call(tenant, "login", {"email": user.email, "password": "Summer2024-x"}).status_code == 200


@pytest.mark.parametrize(("policy", "estimates"), [({}, 0), ({"min_strength": 1}, 1)], ids=["floor-0", "floor-1"])
def test_the_strength_is_estimated_only_for_a_client_with_a_floor(transactional_db, counting, policy, estimates):
    """zxcvbn costs time before bcrypt: a client whose floor is 0 (the default) never pays it."""
    calls = counting(password_policy, "zxcvbn")
    tenant = tenant_with(policy)

    assert call(tenant, "signup", {"email": "ada@example.com", "password": STRONG}).status_code == 201
    assert len(calls) == estimates


def test_the_function_every_new_password_goes_through_applies_the_clients_policy(transactional_db):
    """validate_new_password (sign-up, reset, change and user import call it) holds the password to the
    client's policy and names the field it was given."""
    strict, lenient = tenant_with({"min_length": 12}), make_tenant("Globex")
    user = user_model_for(strict.client)(email="ada@example.com")

    validate_new_password("Sh0rt-pass!", client=lenient.client, user=user)
    with pytest.raises(InvalidRequest) as refused:
        validate_new_password("Sh0rt-pass!", client=strict.client, user=user, field="new_password")

    assert list(refused.value.fields) == ["new_password"]
    assert "at least 12 characters" in refused.value.fields["new_password"][0]


def test_every_client_shares_one_common_password_list(transactional_db):
    """Django's validator reads and keeps its 20,000 passwords per instance: one instance serves every
    client, whatever its name and policy, so memory does not grow with the number of clients."""
    tenants = [make_tenant("Acme"), make_tenant("Globex", password_policy={"min_length": 10, "min_strength": 2})]

    lists = [
        [validator for validator in password_policy.password_validators_for(tenant.client) if isinstance(validator, CommonPasswordValidator)]
        for tenant in tenants
    ]

    assert lists[0][0] is lists[1][0]
