"""Reproductions of known differences between SecantusDB and MongoDB (DESIGN §3).

Each test states what Django on a real MongoDB (and on SQLite) does, and is marked
`secantus_difference`: expected to fail on SecantusDB only, strictly, so that a fixed
server turns the mark red and it can be removed.
"""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType

from tenants.models import Client

pytestmark = pytest.mark.django_db(transaction=True)

DIFFERENCE = (
    "SecantusDB: a lookup across a foreign key to a model with an ObjectId primary key "
    "(Permission -> ContentType) yields the key instead of the related field"
)


@pytest.fixture
def permission() -> Permission:
    content_type = ContentType.objects.get_for_model(Client)
    return Permission.objects.get_or_create(codename="view_client", content_type=content_type, defaults={"name": "Can view client"})[0]


@pytest.mark.secantus_difference(reason=DIFFERENCE)
def test_staff_user_with_a_permission_has_it(permission):
    """A non-superuser staff member granted view_client has that permission (ModelBackend joins Permission -> ContentType)."""
    from django.contrib.auth.models import User

    staff = User.objects.create_user("viewer", is_staff=True)
    staff.user_permissions.add(permission)
    staff = User.objects.get(pk=staff.pk)
    assert staff.has_perm("tenants.view_client")


@pytest.mark.secantus_difference(reason=DIFFERENCE)
def test_values_list_across_objectid_fk_reads_the_related_field(permission):
    """values_list('content_type__app_label') yields the related string field."""
    labels = list(Permission.objects.filter(pk=permission.pk).values_list("content_type__app_label", flat=True))
    assert labels == ["tenants"]


def test_select_related_across_uuid_fk_works(tenant):
    """Our own models (UUID primary keys) join correctly on every store, SecantusDB included."""
    from tenants.models import AccessKey

    key = AccessKey.objects.select_related("client").get(client=tenant.client)
    assert key.client.client_name == tenant.client.client_name
