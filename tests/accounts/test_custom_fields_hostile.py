"""Hostile custom_fields (deep nesting, lone surrogates) answer 400 on sign-up and PATCH, never 500."""

import sys

import pytest

from accounts.serializers import SignupInput, UserUpdateInput
from accounts.validation import validate_custom_fields
from core.errors import InvalidRequest
from tests.accounts.conftest import PASSWORD, call, sign_up

pytestmark = pytest.mark.django_db(transaction=True)


def deep_object(depth: int) -> str:
    """`depth` objects nested as JSON text (json.dumps itself would recurse that deep)."""
    return '{"k":' * (depth - 1) + '{"k": 1' + "}" * depth


def deep_array(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


# Raw JSON text of custom_fields: the body escapes (\udfff) parse into lone surrogates in Python.
# (Nesting too deep for the JSON parser itself is a 400 "not valid JSON": tests/hardening.)
HOSTILE = {
    "objects-900-deep": deep_object(900),
    "arrays-900-deep-in-an-object": '{"k": ' + deep_array(900) + "}",
    "lone-low-surrogate-key": '{"\\udfff": 1}',
    "lone-high-surrogate-value": '{"plan": "\\ud800"}',
    "surrogate-in-a-nested-key": '{"a": [{"ok\\udfffno": 1}]}',
    "surrogate-in-a-nested-value": '{"a": {"b": ["fine", "bad\\udc00"]}}',
    "reversed-pair": '{"plan": "\\udc00\\ud800"}',
}
# A correct surrogate pair is one character (U+1F600), which every store keeps.
ACCEPTED = {"pair-in-key": ('{"\\ud83d\\ude00": 1}', {"\U0001f600": 1}), "pair-in-value": ('{"e": "\\ud83d\\ude00"}', {"e": "\U0001f600"})}


def body_with(custom_fields: str, **fields) -> str:
    rest = "".join(f', "{name}": "{value}"' for name, value in fields.items())
    return f'{{"custom_fields": {custom_fields}{rest}}}'


def assert_refused(response) -> None:
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["error"] == "invalid_request"
    assert body["fields"]["custom_fields"]


@pytest.mark.parametrize("custom_fields", HOSTILE.values(), ids=HOSTILE.keys())
def test_signup_refuses_hostile_custom_fields_with_400(tenant, custom_fields):
    """400 under fields.custom_fields, and no user is created."""
    response = call(tenant, "signup", body_with(custom_fields, email="ada@example.com", password=PASSWORD))
    assert_refused(response)
    assert call(tenant, "users", method="GET").json()["results"] == []


@pytest.mark.parametrize("custom_fields", HOSTILE.values(), ids=HOSTILE.keys())
def test_patch_refuses_hostile_custom_fields_with_400(tenant, custom_fields):
    """400 under fields.custom_fields, and the stored custom_fields stay as they were."""
    user = sign_up(tenant, custom_fields={"plan": "free"})
    response = call(tenant, f"users/{user.user_id}", body_with(custom_fields), method="PATCH")
    assert_refused(response)
    assert call(tenant, f"users/{user.user_id}", method="GET").json()["custom_fields"] == {"plan": "free"}


@pytest.mark.parametrize("custom_fields, stored", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_a_surrogate_pair_is_one_character_and_is_stored(tenant, custom_fields, stored):
    """Only lone surrogates are refused: an escaped pair (an emoji) signs up and reads back."""
    response = call(tenant, "signup", body_with(custom_fields, email="ada@example.com", password=PASSWORD))
    assert response.status_code == 201, response.content
    user_id = response.json()["user_id"]
    assert call(tenant, f"users/{user_id}", method="GET").json()["custom_fields"] == stored


@pytest.mark.store_independent
@pytest.mark.parametrize("serializer_class", [SignupInput, UserUpdateInput], ids=["signup", "patch"])
def test_the_input_serializers_never_recurse_into_custom_fields(serializer_class):
    """A value nested past Python's recursion limit gets through the serializer to the iterative check, whatever the stack."""
    value: dict = {}
    innermost = value
    for _ in range(sys.getrecursionlimit() + 100):
        innermost["k"] = {}
        innermost = innermost["k"]
    credentials = {"email": "ada@example.com", "password": PASSWORD} if serializer_class is SignupInput else {}
    serializer = serializer_class(data={**credentials, "custom_fields": value})
    assert serializer.is_valid(), serializer.errors
    with pytest.raises(InvalidRequest) as refused:
        validate_custom_fields(serializer.validated_data["custom_fields"], schema=None)
    assert list(refused.value.fields) == ["custom_fields"]
