"""core.serializers.FlatSerializer: shallow field copies, the same answers as DRF's Serializer."""

import threading
import uuid
from datetime import UTC, datetime

import pytest
from rest_framework import serializers

from accounts.serializers import IntrospectionOutput, TokenInputField
from core.serializers import FlatSerializer

pytestmark = pytest.mark.store_independent  # no database at all


class PlainInput(serializers.Serializer):
    token = TokenInputField()
    count = serializers.IntegerField(min_value=1, max_value=5)
    flag = serializers.BooleanField(required=False, default=False)
    extra = serializers.JSONField(required=False)


class FlatInput(FlatSerializer):
    token = TokenInputField()
    count = serializers.IntegerField(min_value=1, max_value=5)
    flag = serializers.BooleanField(required=False, default=False)
    extra = serializers.JSONField(required=False)


INPUTS = [
    {"token": "abc", "count": 2},
    {"token": "abc", "count": 2, "flag": True, "extra": {"a": [1, 2]}},
    {"token": "", "count": 2},
    {"token": "x" * 9000, "count": 2},
    {"token": "abc\ud800", "count": 2},
    {"token": 5, "count": "many"},
    {"count": 9},
    {},
]


class PlainOutput(serializers.Serializer):
    active = serializers.BooleanField()
    user_id = serializers.UUIDField(required=False)
    email = serializers.EmailField(required=False)
    exp = serializers.IntegerField(required=False)
    at = serializers.DateTimeField(required=False)
    custom_fields = serializers.JSONField(required=False)
    state = serializers.ChoiceField(choices=["on", "off"], required=False)
    secret = serializers.CharField(write_only=True, required=False)
    absent = serializers.CharField(required=False, allow_null=True)
    defaulted = serializers.CharField(required=False, default="fallback")


FlatOutput = type("FlatOutput", (FlatSerializer,), dict(PlainOutput().get_fields()))

OUTPUTS = [
    {"active": False},
    {"active": True, "user_id": uuid.UUID(int=7), "email": "a@example.com", "exp": 12, "custom_fields": {"a": [1, None]}},
    {"active": 1, "exp": "12", "at": datetime(2026, 12, 6, 12, 0, tzinfo=UTC), "state": "on", "secret": "never shown"},
    {"active": True, "email": None, "custom_fields": None, "absent": None, "defaulted": "given"},
    {"active": True, "unknown": "not a field"},
]


@pytest.mark.parametrize("instance", OUTPUTS)
def test_a_flat_serializer_renders_exactly_like_drfs(instance):
    """Same keys, same values, same order as a plain Serializer's `.data`: write-only fields left out,
    missing optional ones skipped or defaulted, None kept as None."""
    plain, flat = PlainOutput(instance).data, FlatOutput(instance).data
    assert flat == plain and list(flat) == list(plain)


def test_a_missing_required_field_fails_to_render_as_in_drf():
    """A required field missing from the instance is DRF's KeyError, not a silently short answer."""
    with pytest.raises(KeyError) as plain:
        _ = PlainOutput({}).data
    with pytest.raises(KeyError) as flat:
        _ = FlatOutput({}).data
    assert str(flat.value) == str(plain.value).replace("PlainOutput", "FlatOutput")


@pytest.mark.parametrize("data", INPUTS)
def test_a_flat_serializer_validates_exactly_like_drfs(data):
    """Same verdict, same cleaned data, same error messages as a plain Serializer with the same fields."""
    plain, flat = PlainInput(data=data), FlatInput(data=data)
    assert flat.is_valid() == plain.is_valid()
    assert flat.errors == plain.errors
    if not plain.errors:
        assert flat.validated_data == plain.validated_data


def test_instances_never_share_their_bound_fields():
    """Each instance binds copies of its own: a field's parent is the serializer using it."""
    first, second = FlatInput(data={}), FlatInput(data={})
    for name in ("token", "count"):
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first and second.fields[name].parent is second
    assert first.fields["token"] is not FlatInput.prototype_fields["token"]


def test_renders_in_many_threads_at_once_each_its_own_answer():
    """Rendering concurrently (gthread workers) gives every thread its own instance's answer."""
    answers, failures = {}, []

    def render(n: int) -> None:
        for _ in range(200):
            data = IntrospectionOutput({"active": True, "email": f"u{n}@example.com", "exp": n, "iat": n}).data
            if data != {"active": True, "email": f"u{n}@example.com", "exp": n, "iat": n}:
                failures.append(data)
        answers[n] = data

    threads = [threading.Thread(target=render, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures and len(answers) == 8


@pytest.mark.parametrize(
    "field",
    [lambda: serializers.ListField(child=serializers.CharField()), lambda: serializers.DictField(), lambda: IntrospectionOutput()],
    ids=["list", "dict", "nested"],
)
def test_a_field_holding_other_fields_is_refused_when_the_class_is_defined(field):
    """Shallow copies would share the inner fields, so such a class is a TypeError at import time."""
    with pytest.raises(TypeError, match="hold other fields"):
        type("Nested", (FlatSerializer,), {"inner": field()})


@pytest.mark.parametrize(
    "field",
    [serializers.SerializerMethodField, lambda: serializers.PrimaryKeyRelatedField(read_only=True)],
    ids=["method", "relation"],
)
def test_a_field_that_renders_with_its_serializers_help_is_refused(field):
    """Fields bound once per class would render with the wrong serializer, so such a class is refused."""
    with pytest.raises(TypeError, match="render with its help"):
        type("Contextual", (FlatSerializer,), {"inner": field()})
