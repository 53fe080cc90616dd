"""Model serializers build their fields from the model once per class; every instance still gets
fields of its own, the same as DRF would build."""

import pytest
from rest_framework import serializers as drf

from dashboard.api import urls  # noqa: F401 - imports every API module, so every serializer class exists
from portal.api import strict


def _model_serializer_classes():
    found, pending = [], [strict.ModelSerializer]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            pending.append(sub)
            if getattr(getattr(sub, "Meta", None), "model", None) is not None:
                found.append(sub)
    return found


@pytest.mark.django_db
def test_every_model_serializer_gets_the_fields_drf_would_build():
    classes = _model_serializer_classes()
    assert len(classes) > 20
    for cls in classes:
        cached = cls().get_fields()
        again = cls().get_fields()
        built = drf.ModelSerializer.get_fields(cls())
        assert list(cached) == list(built), cls
        assert {name: repr(field) for name, field in cached.items()} == {
            name: repr(field) for name, field in built.items()
        }, cls
        assert {name: repr(field) for name, field in again.items()} == {
            name: repr(field) for name, field in built.items()
        }, cls


def test_each_instance_binds_fields_of_its_own():
    cls = _model_serializer_classes()[0]
    first, second = cls(), cls()
    for name, field in first.fields.items():
        assert field is not second.fields[name]
        assert field.parent is first and second.fields[name].parent is second
