"""Serializer bases shared by every app."""

import copy

from django.http import QueryDict
from rest_framework import serializers
from rest_framework.fields import empty


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
    """

    prototype_fields: dict[str, serializers.Field] = {}

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

    def get_fields(self):
        return {name: copy.copy(field) for name, field in self.prototype_fields.items()}


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
