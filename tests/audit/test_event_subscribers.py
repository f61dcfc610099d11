"""Audit subscribes to the whole event catalog (core.events): no event goes unrecorded."""

import pytest

from audit.receivers import SUBSCRIBERS
from core.events import catalog

pytestmark = pytest.mark.store_independent


def test_every_event_of_the_catalog_is_recorded_by_audit():
    """An event added to the catalog without an audit action fails here, not silently in production."""
    assert {event.name for event in catalog()} == {event.name for event in SUBSCRIBERS}
