"""core.serializers.FlatSerializer: shallow field copies, the same answers as DRF's Serializer."""

import threading

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
