"""Fixtures of the tenants tests."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as BrowserClient


@pytest.fixture
def staff_client(transactional_db) -> BrowserClient:
    """Logged in as a superuser without a password: hashing one (bcrypt) would only slow every test.

    A superuser because, on SecantusDB, a staff member's permission checks fail (tests/test_secantus_differences.py).
    """
    staff = get_user_model().objects.create_superuser("staff", "staff@example.com", password=None)
    browser = BrowserClient()
    browser.force_login(staff)
    return browser
