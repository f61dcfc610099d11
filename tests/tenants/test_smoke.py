import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_register_answers_201(post_json):
    """A client can register."""
    response = post_json("/api/v1/clients/register", {"client_name": "A", "industry": "SaaS"})
    assert response.status_code == 201
