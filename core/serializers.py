"""Serializer bases shared by every app."""

import copy
from collections.abc import Mapping

from django.http import QueryDict
from rest_framework import serializers
from rest_framework.fields import SkipField, empty
from rest_framework.relations import RelatedField

# Fields that render with what their serializer holds (a method of it, its context), not by value alone.
CONTEXTUAL_FIELDS = (serializers.SerializerMethodField, RelatedField)


class FlatSerializer(serializers.Serializer):
    """A serializer of plain fields that gives each instance shallow copies of them.

    DRF deep-copies every declared field for every serializer instance (Field.__deepcopy__ runs
    the field's __init__ again), so that nested serializers and container fields never share
    state. A plain field holds nothing per instance until it is bound, and binding sets
    attributes on the copy; copying it shallowly gives the same serializer for a fraction of
    the cost (the deep copies of a token verify's input and output were a tenth of it).
    Anything nested is refused when the class is defined.

    DRF keeps the declared fields in a private attribute; its public get_fields() hands out deep
    copies of them, so each class takes one set of those when it is defined (`prototype_fields`)
    and every instance shallow copies that. A subclass therefore takes no constructor arguments
    of its own beyond DRF's.

    Rendering (`.data`) needs no copies at all: a plain field renders by its value alone and
    keeps nothing while it does, so each class binds one set of fields when it is defined
    (`rendering_fields`) and every instance renders with those, as DRF's `to_representation`
    would (binding the copies cost four fifths of rendering a token verify's answer). Fields
    that render with their serializer's help (methods, relations) are refused.
    """

    prototype_fields: dict[str, serializers.Field] = {}
    rendering_fields: tuple[serializers.Field, ...] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.prototype_fields = serializers.Serializer.get_fields(cls())
        nested = [
            name
            for name, field in cls.prototype_fields.items()
            if isinstance(field, serializers.BaseSerializer) or hasattr(field, "child") or hasattr(field, "child_relation")
        ]
        if nested:
            raise TypeError(f"{cls.__name__} is a FlatSerializer, but {', '.join(nested)} hold other fields.")
        contextual = [name for name, field in cls.prototype_fields.items() if isinstance(field, CONTEXTUAL_FIELDS)]
        if contextual:
            raise TypeError(f"{cls.__name__} is a FlatSerializer, but {', '.join(contextual)} render with its help.")
        cls.rendering_fields = tuple(field for field in cls().fields.values() if not field.write_only)

    def get_fields(self):
        return {name: copy.copy(field) for name, field in self.prototype_fields.items()}

    def to_representation(self, instance):
        answer = {}
        for field in self.rendering_fields:
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
            answer[field.field_name] = None if attribute is None else field.to_representation(attribute)
        return answer


class QuerySerializer(serializers.Serializer):
    """Query-string parameters, where a parameter given empty (`?email=`) is malformed.

    DRF reads a QueryDict as an HTML form, in which an empty optional field counts as absent:
    `?email=` listed every user and `?user_id=` every audit record, where the published schema
    (minLength 1, uuid) says such values are invalid. Read as plain values, an empty one is
    refused (400, naming the parameter) like any other malformed value. A repeated parameter
    keeps its last value, as before.
    """

    def __init__(self, instance=None, data=empty, **kwargs):
        if isinstance(data, QueryDict):
            data = data.dict()
        super().__init__(instance, data, **kwargs)


class StrictSerializer(serializers.Serializer):
    """A JSON body whose keys must all be fields of the serializer: anything else is a 400 naming it.

    DRF drops keys it has no field for, so `PATCH users/{id}` with `{"email_verified": true}`
    answered 200 and changed nothing. Keys in `read_only_names` (what the resource shows but this
    call cannot set) are refused as read-only, any other as unknown; both are listed in `fields`
    beside the declared fields' own errors.
    """

    read_only_names: frozenset[str] = frozenset()

    def to_internal_value(self, data):
        refused = self._refused_keys(data)
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if refused and isinstance(error.detail, dict):
                raise serializers.ValidationError({**error.detail, **refused}) from None
            raise
        if refused:
            raise serializers.ValidationError(refused)
        return value

    def _refused_keys(self, data) -> dict[str, list[str]]:
        if not isinstance(data, Mapping):
            return {}
        return {
            str(key): ["This field is read-only." if key in self.read_only_names else "Unknown field."]
            for key in data
            if key not in self.fields
        }
