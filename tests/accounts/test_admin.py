"""Staff admin for accounts, through Django's test client: the tokens table and a client's users page."""

import re
import uuid

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.test import Client as BrowserClient

from accounts.flows.signup import user_signup
from accounts.models import RefreshToken
from tenants.models import Client
from tests.accounts.conftest import PASSWORD, SignedUpUser, call, log_in, refresh_row, sign_up, token_rows
from tests.audit.conftest import records_written_by
from tests.conftest import Tenant, make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

TOKENS = "/admin/accounts/refreshtoken/"
# A staff member's permissions are read by joining Permission to ContentType (ObjectId
# primary keys), which SecantusDB gets wrong (tests/test_secantus_differences.py): has_perm is False for every
# permission granted, so only superusers get past the permission checks there.
PERMISSION_JOIN_DIFFERENCE = "Permission -> ContentType join loses the related row, so has_perm is False"


def users_page(tenant: Tenant) -> str:
    return f"/admin/accounts/clients/{tenant.client_id}/users/"


def token_change_page(row: RefreshToken) -> str:
    return f"{TOKENS}{row.pk}/change/"


def listed_tokens(response) -> set[uuid.UUID]:
    return {row.token_id for row in response.context["cl"].result_list}


def listed_emails(response) -> list[str]:
    return [user.email for user in response.context["page"].object_list]


def refresh_status(user: SignedUpUser) -> int:
    return call(user.tenant, "token/refresh", {"refresh_token": user.refresh_token}).status_code


def refreshed(user: SignedUpUser) -> SignedUpUser:
    """The same session after one rotation: its refresh token is now the new one."""
    response = call(user.tenant, "token/refresh", {"refresh_token": user.refresh_token})
    assert response.status_code == 200, response.content
    return SignedUpUser(
        user.tenant, user.user_id, user.email, user.password, response.json()["access_token"], response.json()["refresh_token"]
    )


def stored(user: SignedUpUser):
    return user.row()


def row_of(user: SignedUpUser) -> RefreshToken:
    """The `tokens` row of the user's current refresh token."""
    return refresh_row(user.refresh_token)


def permission(model, action: str) -> Permission:
    """A permission row of `model`. Test flushes delete these rows and the suite does not
    rebuild them (tests/conftest.py), so they are made here, as `migrate` would make them."""
    ContentType.objects.clear_cache()  # the cached rows may be gone with the last flush
    content_type = ContentType.objects.get_for_model(model)
    name = f"Can {action} {model._meta.verbose_name}"
    codename = f"{action}_{model._meta.model_name}"
    return Permission.objects.get_or_create(content_type=content_type, codename=codename, defaults={"name": name})[0]


def staff_browser(django_user_model, *grants: tuple[type, str]) -> BrowserClient:
    """A logged-in staff member holding only the given (model, action) permissions."""
    staff = django_user_model.objects.create_user(username=f"staff-{uuid.uuid4().hex[:8]}", password=PASSWORD, is_staff=True)
    staff.user_permissions.add(*(permission(model, action) for model, action in grants))
    browser = BrowserClient()
    browser.force_login(staff)
    return browser


@pytest.fixture
def ada(tenant) -> SignedUpUser:
    return sign_up(tenant, "ada@example.com")


@pytest.fixture
def grace(tenant) -> SignedUpUser:
    return sign_up(tenant, "grace@example.com")


@pytest.fixture
def bob(other_tenant) -> SignedUpUser:
    return sign_up(other_tenant, "bob@example.com")


# --- the tokens table ----------------------------------------------------------------------


def test_token_list_shows_every_row_and_never_a_token_or_its_hash(admin_client, ada, bob):
    """The list holds every refresh token of every client; no hash and no token text is on the page."""
    log_in(ada)
    rows = list(RefreshToken.objects.all())
    response = admin_client.get(TOKENS)
    assert response.status_code == 200
    assert listed_tokens(response) == {row.token_id for row in rows}
    page = response.content.decode()
    assert "token_hash" not in page
    for row in rows:
        assert row.token_hash not in page
    for token in (ada.refresh_token, bob.refresh_token):
        assert token not in page


def test_token_page_is_read_only_and_hides_the_hash(admin_client, ada):
    """A token's own page shows its fields but no hash, no save button, and refuses a change."""
    [row] = token_rows(ada.tenant)
    response = admin_client.get(token_change_page(row))
    assert response.status_code == 200
    page = response.content.decode()
    assert str(row.family_id) in page
    assert row.token_hash not in page
    assert 'name="_save"' not in page
    assert admin_client.post(token_change_page(row), {"revoked_at_0": "2020-01-01"}).status_code == 403
    assert RefreshToken.objects.get(pk=row.pk).revoked_at is None


@pytest.mark.parametrize("url", [f"{TOKENS}add/", "{row}delete/"])
def test_tokens_cannot_be_added_or_deleted_by_hand(admin_client, ada, url):
    """Rows are written only by services: the add and delete pages are refused."""
    [row] = token_rows(ada.tenant)
    assert admin_client.get(url.format(row=f"{TOKENS}{row.pk}/")).status_code == 403
    assert RefreshToken.objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param(lambda t: {"client__client_id__exact": t.client_id}, "tenant", id="client"),
        pytest.param(lambda t: {"revoked": "yes"}, "revoked", id="revoked-yes"),
        pytest.param(lambda t: {"revoked": "no"}, "live", id="revoked-no"),
    ],
)
def test_filters_narrow_the_token_list(admin_client, tenant, ada, bob, query, expected):
    """The client filter keeps that client's tokens; the revoked filter splits revoked from live ones."""
    call(tenant, "logout", {"refresh_token": ada.refresh_token})
    log_in(ada)
    rows = list(RefreshToken.objects.all())
    wanted = {
        "tenant": {row.token_id for row in rows if row.client_id == tenant.client.client_id},
        "revoked": {row.token_id for row in rows if row.revoked_at is not None},
        "live": {row.token_id for row in rows if row.revoked_at is None},
    }[expected]
    assert 0 < len(wanted) < len(rows)
    response = admin_client.get(TOKENS, query(tenant))
    assert listed_tokens(response) == wanted


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        pytest.param(lambda row: str(row.user_id), "user", id="user_id"),
        pytest.param(lambda row: str(row.family_id).upper(), "family", id="family_id-uppercase"),
        pytest.param(lambda row: f" {row.token_id.hex} ", "row", id="token_id-hex"),
        pytest.param(lambda row: str(row.client_id), "user", id="client_id"),
        pytest.param(lambda row: str(row.user_id)[:8], "none", id="fragment"),
        pytest.param(lambda row: "ada@example.com", "none", id="not-an-id"),
    ],
)
def test_search_finds_tokens_by_a_whole_id(admin_client, ada, bob, term, expected):
    """A whole user, family, token or client id (any spelling) finds its tokens; fragments and other text nothing."""
    first_session = row_of(ada)
    refreshed(ada)
    log_in(ada)
    adas = RefreshToken.objects.filter(user_id=ada.user_id)
    wanted = {
        "user": set(adas.values_list("pk", flat=True)),
        "family": set(adas.filter(family_id=first_session.family_id).values_list("pk", flat=True)),
        "row": {first_session.pk},
        "none": set(),
    }[expected]
    response = admin_client.get(TOKENS, {"q": term(first_session)})
    assert response.status_code == 200
    assert listed_tokens(response) == wanted


def test_revoke_family_action_revokes_every_token_of_the_family(admin_client, ada):
    """Revoking from one row revokes its whole family (spent rows too); the session's token is refused."""
    rotated = refreshed(ada)
    other_session = log_in(ada)
    newest = row_of(rotated)
    family = newest.family_id
    response = admin_client.post(TOKENS, {"action": "revoke_family", "_selected_action": [str(newest.pk)]}, follow=True)
    assert response.status_code == 200
    family_rows = RefreshToken.objects.filter(family_id=family)
    assert family_rows.count() == 2
    assert all(row.revoked_at is not None for row in family_rows)
    assert refresh_status(rotated) == 401
    assert row_of(other_session).revoked_at is None
    assert refresh_status(other_session) == 200


@pytest.mark.secantus_difference(reason=PERMISSION_JOIN_DIFFERENCE)
def test_revoke_family_action_needs_the_change_permission(django_user_model, ada):
    """A staff member who may only view tokens is not offered the action, and posting it changes nothing."""
    browser = staff_browser(django_user_model, (RefreshToken, "view"))
    [row] = token_rows(ada.tenant)
    response = browser.get(TOKENS)
    assert response.status_code == 200
    assert "revoke_family" not in response.content.decode()
    browser.post(TOKENS, {"action": "revoke_family", "_selected_action": [str(row.pk)]})
    assert RefreshToken.objects.get(pk=row.pk).revoked_at is None
    assert refresh_status(ada) == 200


# --- a client's users ----------------------------------------------------------------------


def test_client_change_page_links_to_its_users_page(admin_client, tenant):
    """The client's admin page has a link to the page of its users."""
    response = admin_client.get(f"/admin/tenants/client/{tenant.client_id}/change/")
    assert response.status_code == 200
    assert f'href="{users_page(tenant)}"' in response.content.decode()


def test_users_page_lists_the_clients_users_and_no_one_else(admin_client, tenant, ada, grace, bob):
    """Each user of the client is shown with its email, id, verified, active and creation time."""
    response = admin_client.get(users_page(tenant))
    assert response.status_code == 200
    assert listed_emails(response) == ["ada@example.com", "grace@example.com"]
    page = response.content.decode()
    assert ada.user_id in page and grace.user_id in page
    assert "bob@example.com" not in page
    for column in ("Email", "User ID", "Verified", "Active", "Created at"):
        assert column in page


def test_users_page_shows_each_users_custom_fields(admin_client, tenant):
    """Each row shows the user's custom fields as JSON (escaped), and a dash for a user without any."""
    sign_up(tenant, "ada@example.com", custom_fields={"seats": 3, "plan": "<b>pro</b>"})
    sign_up(tenant, "grace@example.com")
    page = admin_client.get(users_page(tenant)).content.decode()
    cells = re.findall(r'<td class="custom-fields">(.*?)</td>', page)
    assert cells == ['<code>{&quot;plan&quot;: &quot;&lt;b&gt;pro&lt;/b&gt;&quot;, &quot;seats&quot;: 3}</code>', "&ndash;"]
    assert '<th scope="col">Custom fields</th>' in page


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        pytest.param("  GRACE@Example.com ", ["grace@example.com"], id="whole-email-normalised"),
        pytest.param("ada", ["ada@example.com", "ada+work@example.com"], id="prefix"),
        pytest.param("ada+", ["ada+work@example.com"], id="prefix-with-plus"),
        pytest.param("g.h", ["g.hopper@example.com"], id="dot-is-not-a-wildcard"),
        pytest.param("example", [], id="not-a-prefix"),
    ],
)
def test_users_page_searches_by_email_or_its_beginning(admin_client, tenant, search, expected):
    """The search is normalised, then matched as a whole email or its beginning, characters taken literally."""
    for email in ("ada@example.com", "ada+work@example.com", "grace@example.com", "g.hopper@example.com", "gxhopper@example.com"):
        user_signup(client=tenant.client, email=email, password=PASSWORD)
    response = admin_client.get(users_page(tenant), {"q": search})
    assert response.status_code == 200
    assert listed_emails(response) == expected


def test_users_page_is_paginated(admin_client, tenant):
    """Fifty users a page; the rest is on the next page."""
    emails = [f"user{number:02d}@example.com" for number in range(51)]
    for email in emails:
        user_signup(client=tenant.client, email=email, password=PASSWORD)
    first = admin_client.get(users_page(tenant))
    second = admin_client.get(users_page(tenant), {"page": 2})
    assert listed_emails(first) == emails[:50]
    assert listed_emails(second) == emails[50:]
    assert "page=2" in first.content.decode()


def test_deactivating_one_user_revokes_its_tokens_and_spares_the_others(admin_client, tenant, ada, grace):
    """The row's Deactivate button deactivates that user through the service, which revokes its tokens."""
    response = admin_client.post(users_page(tenant), {"row_action": f"deactivate:{ada.user_id}"})
    assert response.status_code == 302
    assert stored(ada).is_active is False
    assert refresh_status(ada) == 401
    login = call(tenant, "login", {"email": ada.email, "password": ada.password})
    assert login.json()["error"] == "account_disabled"
    assert stored(grace).is_active is True
    assert refresh_status(grace) == 200


def test_deactivating_selected_users_deactivates_each_of_them(admin_client, tenant, ada, grace):
    """The bulk action applies to every checked user, and only to them."""
    carol = sign_up(tenant, "carol@example.com")
    body = {"action": "deactivate", "user_id": [ada.user_id, grace.user_id]}
    response = admin_client.post(users_page(tenant), body, follow=True)
    assert response.status_code == 200
    assert [stored(user).is_active for user in (ada, grace, carol)] == [False, False, True]
    assert [refresh_status(user) for user in (ada, grace, carol)] == [401, 401, 200]


def test_reactivating_a_user_lets_it_log_in_again_but_keeps_its_old_tokens_dead(admin_client, tenant, ada):
    """The Reactivate button of a deactivated user's row: a new login works; tokens from before stay refused."""
    admin_client.post(users_page(tenant), {"row_action": f"deactivate:{ada.user_id}"})
    page = admin_client.get(users_page(tenant)).content.decode()
    assert f'value="reactivate:{ada.user_id}"' in page

    response = admin_client.post(users_page(tenant), {"row_action": f"reactivate:{ada.user_id}"}, follow=True)

    assert "Reactivated 1 user(s)" in response.content.decode()
    assert stored(ada).is_active is True
    assert refresh_status(ada) == 401
    assert call(tenant, "token/verify", {"token": ada.access_token}).json()["active"] is False
    again = log_in(ada)
    assert call(tenant, "token/verify", {"token": again.access_token}).json()["active"] is True


def test_reactivating_selected_users_reactivates_each_of_them(admin_client, tenant, ada, grace):
    """The bulk action reactivates every checked user, and only them."""
    admin_client.post(users_page(tenant), {"action": "deactivate", "user_id": [ada.user_id, grace.user_id]})

    admin_client.post(users_page(tenant), {"action": "reactivate", "user_id": [ada.user_id]})

    assert [stored(user).is_active for user in (ada, grace)] == [True, False]


@pytest.mark.parametrize("is_active", [False, True], ids=["deactivate", "reactivate"])
def test_each_activation_switch_leaves_one_user_update_record_saying_which(admin_client, tenant, ada, is_active):
    """Deactivating and reactivating from the admin each record one user_update with the new state."""
    if is_active:
        admin_client.post(users_page(tenant), {"row_action": f"deactivate:{ada.user_id}"})
    action = "reactivate" if is_active else "deactivate"

    _, records = records_written_by(lambda: admin_client.post(users_page(tenant), {"row_action": f"{action}:{ada.user_id}"}))

    assert [(record.action, record.status, str(record.user_id), record.metadata["fields"], record.metadata["is_active"]) for record in records] == [
        ("user_update", "success", ada.user_id, ["is_active"], is_active)
    ]


def test_mark_verified_row_action_verifies_the_email_and_records_the_staff_member(admin_client, admin_user):
    """The Mark verified button of an unverified user's row verifies it; one user_update record names the staff actor."""
    verifying = make_tenant("Verify Co", require_email_verification=True)
    user_id = call(verifying, "signup", {"email": "ada@example.com", "password": PASSWORD}).json()["user_id"]
    assert f'value="mark_verified:{user_id}"' in admin_client.get(users_page(verifying)).content.decode()

    response, records = records_written_by(
        lambda: admin_client.post(users_page(verifying), {"row_action": f"mark_verified:{user_id}"}, follow=True)
    )

    assert "Marked 1 user(s)" in response.content.decode()
    assert [(record.action, record.status, str(record.user_id), record.metadata["fields"]) for record in records] == [
        ("user_update", "success", user_id, ["email_verified"])
    ]
    staff_id = admin_user.pk if isinstance(admin_user.pk, int) else str(admin_user.pk)  # MongoDB: ObjectId as text
    assert records[0].metadata["actor"] == {"kind": "staff", "id": staff_id, "username": admin_user.username, "via": "admin"}
    assert call(verifying, "login", {"email": "ada@example.com", "password": PASSWORD}).status_code == 200
    assert f'value="mark_verified:{user_id}"' not in admin_client.get(users_page(verifying)).content.decode()


def test_deleting_a_user_asks_for_confirmation_first(admin_client, tenant, ada):
    """The first POST only shows a confirmation page naming the user; nothing is deleted yet."""
    response = admin_client.post(users_page(tenant), {"row_action": f"delete:{ada.user_id}"})
    assert response.status_code == 200
    assert "ada@example.com" in response.content.decode()
    assert 'name="confirm" value="yes"' in response.content.decode()
    assert stored(ada) is not None
    assert refresh_status(ada) == 200


def test_confirmed_delete_removes_the_users_and_revokes_their_tokens(admin_client, tenant, ada, grace):
    """Confirming deletes the selected users through the service; their refresh tokens are refused."""
    body = {"action": "delete", "user_id": [ada.user_id], "confirm": "yes"}
    response = admin_client.post(users_page(tenant), body, follow=True)
    assert response.status_code == 200
    assert listed_emails(response) == ["grace@example.com"]
    assert stored(ada) is None
    assert refresh_status(ada) == 401
    assert refresh_status(grace) == 200


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [
        pytest.param("{page}?q=ada&page=1", "{page}?q=ada&page=1", id="same-page-kept"),
        pytest.param("https://evil.example/{page}", "{page}", id="elsewhere-refused"),
    ],
)
def test_actions_return_to_the_page_they_came_from_only_if_it_is_ours(admin_client, tenant, ada, next_url, lands_on):
    """After an action the staff member is back on the same search and page, never on another site."""
    page = users_page(tenant)
    body = {"row_action": f"deactivate:{ada.user_id}", "next": next_url.format(page=page)}
    response = admin_client.post(page, body)
    assert response.status_code == 302
    assert response["Location"] == lands_on.format(page=page)


@pytest.mark.parametrize("who", ["anonymous", "not-staff"])
def test_users_page_sends_non_staff_to_the_login_page(django_user_model, tenant, ada, who):
    """Anyone but staff is redirected to the admin login, for reading and for acting; nothing changes."""
    browser = BrowserClient()
    if who == "not-staff":
        browser.force_login(django_user_model.objects.create_user(username="member", password=PASSWORD))
    for response in (
        browser.get(users_page(tenant)),
        browser.post(users_page(tenant), {"row_action": f"delete:{ada.user_id}", "confirm": "yes"}),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    assert stored(ada) is not None


def test_staff_without_client_permissions_cannot_see_users(django_user_model, tenant, ada):
    """Staff lacking tenants.view_client get 403 on the users page, for reading and for acting."""
    browser = staff_browser(django_user_model)
    assert browser.get(users_page(tenant)).status_code == 403
    assert browser.post(users_page(tenant), {"row_action": f"deactivate:{ada.user_id}"}).status_code == 403
    assert stored(ada).is_active is True


@pytest.mark.secantus_difference(reason=PERMISSION_JOIN_DIFFERENCE)
def test_staff_who_may_only_view_clients_can_read_users_but_not_act(django_user_model, tenant, ada):
    """With tenants.view_client alone: the list shows, without buttons, and an action POST is 403."""
    viewer = staff_browser(django_user_model, (Client, "view"))
    response = viewer.get(users_page(tenant))
    assert response.status_code == 200
    assert listed_emails(response) == ["ada@example.com"]
    assert 'name="row_action"' not in response.content.decode()
    assert viewer.post(users_page(tenant), {"row_action": f"deactivate:{ada.user_id}"}).status_code == 403
    assert stored(ada).is_active is True


def test_user_actions_need_a_csrf_token(admin_user, tenant, ada):
    """A forged cross-site POST (no CSRF token) is refused and the user stays active."""
    browser = BrowserClient(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    response = browser.post(users_page(tenant), {"row_action": f"deactivate:{ada.user_id}"})
    assert response.status_code == 403
    assert stored(ada).is_active is True


def test_users_page_of_an_unknown_client_is_a_404(admin_client):
    """A client_id of no client answers 404."""
    assert admin_client.get(f"/admin/accounts/clients/{uuid.uuid4()}/users/").status_code == 404



def test_staff_family_revocation_is_audited(admin_client, ada, tenant):
    """Revoking a family from the admin leaves one `token_revoke` audit record per family."""
    from audit.models import AuditLog

    row = row_of(ada)
    before = AuditLog.objects.filter(action="token_revoke").count()
    admin_client.post(TOKENS, {"action": "revoke_family", "_selected_action": [str(row.pk)]})
    records = AuditLog.objects.filter(action="token_revoke")
    assert records.count() == before + 1
    record = records.order_by("-timestamp").first()
    assert (record.client_id, str(record.user_id), record.metadata["by"]) == (tenant.client.client_id, ada.user_id, "staff")
