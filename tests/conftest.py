"""Fixtures shared by the whole suite. Servers are started by `tests/stores.py`."""

import json
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tenants.models import Client
from tenants.services import client_register


@dataclass
class Tenant:
    client: Client
    access_key: str

    @property
    def client_id(self) -> str:
        return str(self.client.client_id)

    @property
    def auth(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.access_key}"}

    def url(self, path: str = "") -> str:
        return f"/api/v1/{self.client_id}/{path}"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the (real) cache; each test starts from zero."""
    cache.clear()
    yield


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def post_json(api):
    def post(path: str, body, **extra):
        payload = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return api.generic("POST", path, payload, content_type="application/json", **extra)

    return post


def make_tenant(name: str = "Acme", industry: str = "SaaS", **options) -> Tenant:
    registered = client_register(client_name=name, industry=industry, surface="test", **options)
    return Tenant(client=registered.client, access_key=registered.access_key)


@pytest.fixture
def tenant(transactional_db) -> Tenant:
    return make_tenant("Acme")


@pytest.fixture
def other_tenant(transactional_db) -> Tenant:
    return make_tenant("Globex", "E-commerce")
