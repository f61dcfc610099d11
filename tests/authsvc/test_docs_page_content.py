"""What the per-client documentation page teaches: the quickstart works as written, the settings,
rate limits, links and error codes are this client's and this service's, and unknown pages are 404."""

import html
import json
import re
import shlex
import uuid

import pytest
from django.conf import settings

from authsvc.client_docs import describe_rate
from clientapi.ratelimits import client_rate
from core import errors
from tenants.schema_example import custom_fields_example
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

PUBLIC_URL = "https://auth.example.com"
QUICKSTART = ["signup", "login", "refresh", "verify", "logout"]
PLAN_SCHEMA = {
    "type": "object",
    "properties": {
        "plan": {"type": "string", "enum": ["free", "pro"], "description": "Billing plan <b>shown</b> to staff"},
        "seats": {"type": "integer", "minimum": 1},
    },
    "required": ["plan"],
}


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.AUTHSVC_PUBLIC_URL = PUBLIC_URL


def docs_page(api, client_id: str) -> str:
    response = api.get(f"/docs/clients/{client_id}/")
    assert response.status_code == 200
    return response.content.decode()


def step_command(page: str, step: str) -> str:
    """The shell command of one quickstart step, as a reader would copy it."""
    match = re.search(rf'<li id="step-{step}">.*?<pre>(.*?)</pre>', page, re.DOTALL)
    assert match, f"no quickstart step {step!r}"
    return html.unescape(match[1])


def run_curl(api, command: str, variables: dict[str, str]):
    """Run a `curl -X POST|PATCH URL -H ... -d BODY` line through the test client, expanding $VARIABLES."""
    for name, value in variables.items():
        command = command.replace(f"${name}", value)
    words = shlex.split(command.replace("\\\n", " "))
    assert words[:3] == ["curl", "-sS", "-X"] and words[3] in ("POST", "PATCH"), words
    method, url, options = words[3], words[4], words[5:]
    headers = dict(options[i + 1].split(": ", 1) for i in range(0, len(options), 2) if options[i] == "-H")
    [body] = [options[i + 1] for i in range(0, len(options), 2) if options[i] == "-d"]
    assert url.startswith(PUBLIC_URL)
    return api.generic(
        method,
        url.removeprefix(PUBLIC_URL),
        body,
        content_type=headers["Content-Type"],
        HTTP_AUTHORIZATION=headers["Authorization"],
    )


def table_rows(page: str, section: str) -> list[list[str]]:
    """Cell texts of the table in the section with this id."""
    body = re.search(rf'<section id="{section}".*?<tbody>(.*?)</tbody>', page, re.DOTALL)[1]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.DOTALL)
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.DOTALL)] for row in rows]


@pytest.mark.parametrize("schema", [None, PLAN_SCHEMA], ids=["no-schema", "schema-with-required-field"])
def test_quickstart_commands_work_as_written(api, schema):
    """signup → login → refresh → verify → logout, copied from the page, succeed in that order; then verify says inactive."""
    tenant = make_tenant("Quickstart Co", custom_fields_schema=schema)
    page = docs_page(api, tenant.client_id)
    variables = {"ACCESS_KEY": tenant.access_key}

    assert run_curl(api, step_command(page, "signup"), variables).status_code == 201
    login = run_curl(api, step_command(page, "login"), variables)
    assert login.status_code == 200
    variables |= {"ACCESS_TOKEN": login.json()["access_token"], "REFRESH_TOKEN": login.json()["refresh_token"]}
    refreshed = run_curl(api, step_command(page, "refresh"), variables)
    assert refreshed.status_code == 200
    variables |= {"ACCESS_TOKEN": refreshed.json()["access_token"], "REFRESH_TOKEN": refreshed.json()["refresh_token"]}
    verified = run_curl(api, step_command(page, "verify"), variables)
    assert verified.status_code == 200 and verified.json()["active"] is True
    assert run_curl(api, step_command(page, "logout"), variables).status_code == 204
    assert run_curl(api, step_command(page, "verify"), variables).json() == {"active": False}


def test_quickstart_is_in_order_with_the_client_id_and_only_a_key_placeholder(api, tenant):
    """Steps come in the documented order, each a curl line on this client's URL reading $ACCESS_KEY."""
    page = docs_page(api, tenant.client_id)

    positions = [page.index(f'id="step-{step}"') for step in QUICKSTART]
    assert positions == sorted(positions)
    for step in QUICKSTART:
        command = step_command(page, step)
        assert f"{PUBLIC_URL}/api/v1/{tenant.client_id}/" in command
        assert 'Authorization: Bearer $ACCESS_KEY"' in command
    assert tenant.access_key not in page


@pytest.mark.parametrize(
    ("required", "setting_text", "verify_text"),
    [(True, "Required.", "Until then login answers email_not_verified."), (False, "Not required.", "login works either way")],
)
def test_email_verification_setting_and_its_quickstart_step(api, required, setting_text, verify_text):
    """The page states the client's email verification setting; the quickstart confirms the email before login, saying whether login waits for it."""
    tenant = make_tenant("Verify Co", require_email_verification=required)
    page = docs_page(api, tenant.client_id)

    assert f"<strong>{setting_text}</strong>" in page
    assert page.index('id="step-signup"') < page.index('id="step-email-resend"') < page.index('id="step-email-verify"') < page.index('id="step-login"')
    assert verify_text in re.search(r'<li id="step-email-verify">.*?</li>', page, re.DOTALL)[0]


@pytest.mark.store_independent
@pytest.mark.parametrize(
    ("interval", "setting_text", "explained"),
    [(0, "None: strict rotation.", "refresh one token from one"), (30, "30 seconds.", "not detected")],
    ids=["strict", "thirty-seconds"],
)
def test_the_refresh_reuse_interval_setting_and_its_trade_off(api, interval, setting_text, explained):
    """The page states the client's refresh reuse interval and what it means: strict rotation, or the window and its price."""
    page = docs_page(api, make_tenant("Tabs Co", refresh_reuse_interval=interval).client_id)

    section = re.search(r'<section id="settings".*?</section>', page, re.DOTALL)[0]
    assert f"<strong>{setting_text}</strong>" in section
    assert explained in " ".join(section.split())


def paragraph_text(page: str, paragraph_id: str) -> str:
    """The words of one paragraph, tags dropped and spaces collapsed, as a reader sees them."""
    paragraph = re.search(rf'<p id="{paragraph_id}">(.*?)</p>', page, re.DOTALL)[1]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", paragraph)).split())


@pytest.mark.store_independent
@pytest.mark.parametrize(
    ("settings_given", "password_words", "lockout_words"),
    [
        ({}, ["8 to 1024 characters", "must not be a common password"], ["No lockout.", "login_email"]),
        (
            {"password_policy": {"min_length": 12, "min_strength": 3, "refuse_common": False}, "lockout": {"mode": "throttle", "max_failures": 5}},
            ["12 to 1024 characters", "a zxcvbn score of at least 3 of 4"],
            ["Throttled after 5 failures in a row.", "at most 900 seconds", "429 rate_limited", "answered exactly the same"],
        ),
        (
            {"lockout": {"mode": "lock", "max_failures": 3, "forget_after_hours": 48}},
            ["8 to 1024 characters"],
            ["Locked after 3 failures in a row.", "429 login_locked", "48 hours pass", "answered exactly the same"],
        ),
    ],
    ids=["defaults", "throttle-and-strength", "lock"],
)
def test_the_page_states_the_clients_password_policy_and_lockout(api, settings_given, password_words, lockout_words):
    """What a new password must be and what failed logins cost, as this client set them."""
    page = docs_page(api, make_tenant("Policy Co", **settings_given).client_id)
    password, lockout = paragraph_text(page, "password-policy"), paragraph_text(page, "lockout")

    assert all(words in password for words in password_words), password
    assert ("common password" in password) == settings_given.get("password_policy", {}).get("refuse_common", True)
    assert ("zxcvbn" in password) == ("min_strength" in settings_given.get("password_policy", {}))
    assert all(words in lockout for words in lockout_words), lockout


def test_a_schema_without_a_stored_example_says_what_to_fill_in(api):
    """No example could be worked out: sign-up and update name the required fields instead of showing a body that answers 400."""
    schema = {"type": "object", "properties": {"code": {"type": "string", "pattern": "^[0-9]{6}$"}}, "required": ["code"]}
    tenant = make_tenant("Code Co", custom_fields_schema=schema)
    page = docs_page(api, tenant.client_id)

    for step in ("signup", "user-update"):
        item = html.unescape(re.search(rf'<li id="step-{step}">.*?</li>', page, re.DOTALL)[0])
        assert "No example could be worked out" in item and "(required: code)" in item
        assert "custom_fields" not in step_command(page, step)


def test_custom_fields_schema_is_pretty_printed_and_escaped(api):
    """The schema is shown as indented JSON in a <pre>, its markup escaped, and its fields listed."""
    tenant = make_tenant("Schema Co", custom_fields_schema=PLAN_SCHEMA)
    page = docs_page(api, tenant.client_id)

    shown = re.search(r'<pre id="custom-fields-schema">(.*?)</pre>', page, re.DOTALL)[1]
    assert html.unescape(shown) == json.dumps(PLAN_SCHEMA, indent=2)
    assert "<b>shown</b>" not in page and "&lt;b&gt;shown&lt;/b&gt;" in page
    fields = {row[0]: row[1:] for row in table_rows(page, "settings")}
    assert fields["plan"][:2] == ['one of "free", "pro"', "yes"]
    assert fields["seats"][:2] == ["integer", "no"]


def test_page_without_a_schema_says_any_object_is_accepted(api, tenant):
    """A client with no schema gets a sentence, not an empty <pre>."""
    page = docs_page(api, tenant.client_id)

    assert 'id="custom-fields-schema"' not in page
    assert "may be any JSON object" in page


def test_example_custom_fields_are_left_out_when_no_simple_guess_passes_the_schema():
    """A schema that a typed placeholder cannot satisfy yields no example rather than a wrong one."""
    schema = {"type": "object", "properties": {"code": {"type": "string", "pattern": "^[0-9]{6}$"}}, "required": ["code"]}

    assert custom_fields_example(schema) is None
    assert custom_fields_example(PLAN_SCHEMA) == {"plan": "free", "seats": 1}


def test_rate_limits_are_the_clients_effective_ones(api, tenant):
    """Every configured limit is listed with the client's effective rate and what it counts; overrides are marked."""
    tenant.client.rate_limits = {"login_ip": "100/5m"}
    tenant.client.save(update_fields=["rate_limits"])
    page = docs_page(api, tenant.client_id)

    rows = {row[0]: row[1:] for row in table_rows(page, "rate-limits")}
    assert list(rows) == list(settings.AUTHSVC_RATE_LIMITS)
    for name, (rate_text, meaning) in rows.items():
        assert f"({client_rate(tenant.client, name)}" in rate_text
        assert meaning
    assert rows["login_ip"][0] == "100 per 5 minutes (100/5m, set for this client)"
    assert "set for this client" not in rows["login_email"][0]


def test_an_override_the_limiter_ignores_is_not_shown_as_set(api, tenant):
    """An unenforceable override stored before overrides were checked: the page shows the default that applies."""
    tenant.client.rate_limits = {"login_ip": "100/0m"}
    tenant.client.save(update_fields=["rate_limits"])
    rows = {row[0]: row[1:] for row in table_rows(docs_page(api, tenant.client_id), "rate-limits")}
    assert rows["login_ip"][0] == f"30 per minute ({settings.AUTHSVC_RATE_LIMITS['login_ip']})"


@pytest.mark.parametrize(
    ("rate", "readable"),
    [("10/m", "10 per minute"), ("5/h", "5 per hour"), ("100/5m", "100 per 5 minutes"), ("3/day", "3 per day"), ("odd", "odd")],
)
def test_rates_are_described_in_words(rate, readable):
    """Rates read as words; anything unparsable is shown as given."""
    assert describe_rate(rate) == readable


@pytest.mark.parametrize(
    ("label", "path"),
    [
        ("jwks.json", "/.well-known/jwks.json"),
        ("Swagger UI", "/api/docs/"),
        ("Redoc", "/api/redoc/"),
        ("OpenAPI 3 schema", "/api/schema/"),
    ],
)
def test_reference_links_lead_to_pages_that_answer(api, tenant, label, path):
    """The JWKS and OpenAPI links are on the page and their targets answer 200."""
    page = docs_page(api, tenant.client_id)

    assert re.search(rf'<a href="{re.escape(path)}">[^<]*{re.escape(label)}', page)
    assert api.get(path).status_code == 200


def test_error_table_lists_every_error_code_with_its_status(api, tenant):
    """Each code the API can answer with (one per error class) has a row with its HTTP status and a meaning."""
    page = docs_page(api, tenant.client_id)

    rows = {row[1]: (int(row[0]), row[2]) for row in table_rows(page, "errors")}
    error_classes = [value for value in vars(errors).values() if isinstance(value, type) and issubclass(value, errors.ServiceError)]
    for error in error_classes:
        status, meaning = rows[error.code]
        assert status == error.status_code and meaning


@pytest.mark.parametrize(
    "client_id",
    ["not-a-uuid", "00000000-0000-0000-0000-00000000000", "{uuid}", "{uuid_hex}", "{uuid_upper}"],
    ids=["junk", "short", "unknown", "hex-spelling", "upper-case-spelling"],
)
def test_unknown_or_malformed_client_gets_an_html_404_page(api, tenant, client_id):
    """Anything but a registered client's canonical id answers the 404 page, in HTML."""
    client_id = client_id.format(uuid=uuid.uuid4(), uuid_hex=tenant.client.client_id.hex, uuid_upper=tenant.client_id.upper())
    response = api.get(f"/docs/clients/{client_id}/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "Page not found" in response.content.decode()


def test_api_paths_still_answer_json_404(api):
    """The HTML 404 page does not reach /api/: an unknown API path keeps the JSON error envelope."""
    response = api.get(f"/api/v1/{uuid.uuid4()}/no-such-endpoint")

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.store_independent
@pytest.mark.parametrize(("token_issuer", "issuer_path"), [("client", "/api/v1/{client_id}"), ("service", "")])
def test_the_page_names_the_clients_issuer_and_links_its_discovery_document(api, settings, token_issuer, issuer_path):
    """`iss` to check is the client's issuer; the link is its discovery document, which answers with that issuer."""
    settings.AUTHSVC_ISSUER = PUBLIC_URL
    tenant = make_tenant("Discovered Co", token_issuer=token_issuer)
    issuer = PUBLIC_URL + issuer_path.format(client_id=tenant.client_id)
    discovery = f"{issuer}/.well-known/openid-configuration"

    page = docs_page(api, tenant.client_id)

    assert f"<code>iss</code> = <code>{issuer}</code>" in page
    assert f'<a href="{discovery}">{discovery}</a>' in page
    assert f"ISSUER = &quot;{issuer}&quot;" in page  # the recipe is configured with it alone
    answer = api.get(discovery.removeprefix(PUBLIC_URL))
    assert answer.status_code == 200 and answer.json()["issuer"] == issuer


def test_the_settings_example_works_as_written_and_the_table_follows_it(api, tenant):
    """The page's PATCH line changes this client's settings (200); the mail table then says which are set."""
    page = docs_page(api, tenant.client_id)
    assert [row[2] for row in table_rows(page, "mail-settings")] == ["ours"] * 6
    command = html.unescape(re.search(r'<pre id="settings-command">(.*?)</pre>', page, re.DOTALL)[1])

    response = run_curl(api, command, {"ACCESS_KEY": tenant.access_key})

    assert response.status_code == 200, response.content
    rows = table_rows(docs_page(api, tenant.client_id), "mail-settings")
    assert [(name, state) for name, _, state in rows] == [
        ("verify_email_url", "set"),
        ("reset_password_url", "set"),
        ("mail_sender_name", "ours"),
        ("mail_reply_to", "set"),
        ("mail_templates", "ours"),
        ("smtp_url", "ours"),
    ]


@pytest.mark.store_independent
def test_the_page_shows_how_to_import_and_export_this_clients_users(api):
    """The import-export section names this client's URLs, the body bounds and an import line that parses."""
    tenant = make_tenant()
    page = docs_page(api, tenant.client_id)
    section = page.split('<section id="import-export"', 1)[1].split("</section>", 1)[0]
    assert f"{PUBLIC_URL}/api/v1/{tenant.client_id}/users/import" in section
    assert f"{PUBLIC_URL}/api/v1/{tenant.client_id}/users/export" in section
    assert f"at most {settings.AUTHSVC_IMPORT_MAX_BYTES // 10**6} MB and {settings.AUTHSVC_IMPORT_MAX_LINES} lines" in section
    line = re.search(r'<pre id="import-line">(.*?)</pre>', section, re.DOTALL)[1]
    assert set(json.loads(html.unescape(line))) == {"email", "password_hash", "email_verified", "custom_fields"}


@pytest.mark.store_independent
@pytest.mark.parametrize(
    ("policy", "says"), [("optional", "Optional for this client."), ("required", "Required for this client.")]
)
def test_the_mfa_section_says_the_clients_policy_and_shows_the_calls(api, policy, says):
    """The section names the policy and gives the enrol, login and enrol-at-login calls on this client's URL."""
    tenant = make_tenant("Factor Co", mfa_policy=policy)
    page = docs_page(api, tenant.client_id)
    section = re.search(r'<section id="mfa".*?</section>', page, re.DOTALL)[0]
    assert says in section
    for path in ("users/$USER_ID/mfa/totp", "users/$USER_ID/mfa/totp/confirm", "login/mfa", "login/mfa/totp", "login/mfa/totp/confirm"):
        assert f"/api/v1/{tenant.client_id}/{path}&quot;" in section or f"/api/v1/{tenant.client_id}/{path}\"" in section


@pytest.mark.store_independent
@pytest.mark.parametrize(
    ("rp_id", "origins", "says"),
    [
        (None, None, "Not set up for this client"),
        ("example.com", None, "relying party <code>example.com</code>, pages at\n        <code>https://example.com</code>"),
        ("example.com", ["https://app.example.com", "https://example.com"], "<code>https://app.example.com</code>, <code>https://example.com</code>"),
    ],
)
def test_the_passkeys_section_says_the_clients_relying_party_and_shows_the_calls(api, rp_id, origins, says):
    """Set up or not (and with which rp id and origins); the register, passwordless and second-factor calls on this client's URL."""
    tenant = make_tenant("Passkey Co")
    type(tenant.client).objects.filter(pk=tenant.client.pk).update(passkey_rp_id=rp_id, passkey_origins=origins)
    section = re.search(r'<section id="passkeys".*?</section>', docs_page(api, tenant.client_id), re.DOTALL)[0]
    assert says in section
    for path in ("users/$USER_ID/passkeys/registration/options", "users/$USER_ID/passkeys", "login/passkey/options", "login/passkey",
                 "login/mfa/passkey/options", "login/mfa"):
        assert f"/api/v1/{tenant.client_id}/{path}&quot;" in section or f"/api/v1/{tenant.client_id}/{path}\"" in section
    assert "navigator.credentials.create" in section and "parseRequestOptionsFromJSON" in section
