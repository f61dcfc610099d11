"""Signing-key rotation publishes first and signs later: a verifier that caches the JWKS for its
max-age and never refetches on an unknown `kid` accepts every token across a rotation.

Time passes in these tests by moving the `signs-from:` lines of the key file into the past (the
format an operator writes too), as if that many seconds had gone by; no test sleeps.
"""

import io
import json
import os
import re
import time
import urllib.request
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from tests.accounts.conftest import call, log_in

pytestmark = pytest.mark.django_db(transaction=True)

STAGE_SECONDS = 360  # the default: the JWKS max-age (300 s) and a minute for clocks
SIGNS_FROM = re.compile(r"^signs-from: (\S+)$", re.M)


def pem_of(private_key: rsa.RSAPrivateKey) -> bytes:
    """A private key as `openssl genpkey` writes it (PKCS#8 PEM)."""
    return private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def new_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def replace_file(path, text: str) -> None:
    """Write a new file in place of the old, as every writer of the key file does."""
    temporary = path.with_name(path.name + ".new")
    temporary.write_text(text)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


@pytest.fixture
def key_file(tmp_path, settings):
    """An operator's key file: one key with no metadata, named by AUTHSVC_JWT_PRIVATE_KEY_FILE."""
    path = tmp_path / "signing_keys.pem"
    replace_file(path, pem_of(new_private_key()).decode())
    settings.AUTHSVC_JWT_PRIVATE_KEY_FILE = str(path)
    return path


def time_passes(path, seconds: int) -> None:
    """Move every `signs-from:` of the key file `seconds` earlier: to the keyring, that much time went by."""

    def earlier(match: re.Match) -> str:
        moment = datetime.fromisoformat(match[1]) - timedelta(seconds=seconds)
        return f"signs-from: {moment:%Y-%m-%dT%H:%M:%SZ}"

    replace_file(path, SIGNS_FROM.sub(earlier, path.read_text()))


def rotate(*options: str) -> str:
    out = io.StringIO()
    call_command("rotate_signing_key", *options, stdout=out)
    return out.getvalue()


def kids() -> list[str]:
    return [key["kid"] for key in APIClient().get("/.well-known/jwks.json").json()["keys"]]


def kid_of(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def active(user, token: str) -> bool:
    return call(user.tenant, "token/verify", {"token": token}).json()["active"]


class CachingVerifier:
    """A relying party that fetches the JWKS once and keeps it for the max-age the server sent, and
    does not fetch it again for a `kid` it has not seen (as many verifiers do)."""

    def __init__(self, base_url: str, audience: str):
        self.url, self.audience = f"{base_url}/.well-known/jwks.json", audience
        self.keys: jwt.PyJWKSet | None = None
        self.fetched_at = 0.0
        self.max_age = 0

    def jwks(self) -> jwt.PyJWKSet:
        if self.keys is None or time.monotonic() - self.fetched_at >= self.max_age:
            with urllib.request.urlopen(self.url, timeout=10) as response:
                self.max_age = int(re.search(r"max-age=(\d+)", response.headers["Cache-Control"])[1])
                self.keys = jwt.PyJWKSet.from_json(response.read().decode())
            self.fetched_at = time.monotonic()
        return self.keys

    def verify(self, token: str) -> dict:
        try:
            key = self.jwks()[kid_of(token)]
        except KeyError:
            raise jwt.InvalidTokenError(f"unknown kid {kid_of(token)}") from None
        own_issuer = f"{settings.AUTHSVC_ISSUER}/api/v1/{self.audience}"
        return jwt.decode(token, key.key, algorithms=["RS256"], audience=self.audience, issuer=own_issuer)


def login_over_http(base_url: str, user) -> str:
    """A login through the live server, as a client's backend makes it: its access token."""
    request = urllib.request.Request(
        f"{base_url}/api/v1/{user.tenant.client_id}/login",
        data=json.dumps({"email": user.email, "password": user.password}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {user.tenant.access_key}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["access_token"]


def test_a_verifier_that_caches_the_jwks_accepts_every_token_across_a_rotation(key_file, live_server, user):
    """Cached before the rotation: new tokens still verify (the old key signs while the new one is staged);
    cached during staging: tokens of the new key verify, and so do the old key's until they expire."""
    cached_before = CachingVerifier(live_server.url, user.tenant.client_id)
    first = login_over_http(live_server.url, user)
    assert cached_before.verify(first)["sub"] == user.user_id
    assert cached_before.max_age == 300  # five minutes, as the README says

    rotate()
    during_staging = login_over_http(live_server.url, user)
    assert cached_before.verify(during_staging)["sub"] == user.user_id

    cached_during_staging = CachingVerifier(live_server.url, user.tenant.client_id)
    cached_during_staging.jwks()
    time_passes(key_file, STAGE_SECONDS)  # every copy cached before the rotation has expired by now
    after_staging = login_over_http(live_server.url, user)
    assert kid_of(after_staging) != kid_of(first)
    for token in (first, during_staging, after_staging):
        assert cached_during_staging.verify(token)["sub"] == user.user_id
        assert active(user, token)


@pytest.mark.parametrize(("configured", "delay"), [(None, STAGE_SECONDS), (900, 900)], ids=["default", "AUTHSVC_JWT_KEY_STAGE_SECONDS"])
def test_a_new_key_is_published_at_once_and_signs_after_the_stage_delay(key_file, user, settings, configured, delay):
    """Right after the rotation both keys are published and the old one signs; `delay` seconds later the new one signs."""
    if configured:
        settings.AUTHSVC_JWT_KEY_STAGE_SECONDS = configured
    old_kid = kid_of(user.access_token)
    rotate()
    new_kid = kids()[0]
    assert kids() == [new_kid, old_kid]
    (signs_from,) = SIGNS_FROM.findall(key_file.read_text())
    assert abs(datetime.fromisoformat(signs_from).timestamp() - (time.time() + delay)) < 5

    assert kid_of(log_in(user).access_token) == old_kid
    time_passes(key_file, delay - 30)
    assert kid_of(log_in(user).access_token) == old_kid
    time_passes(key_file, 31)
    assert kid_of(log_in(user).access_token) == new_kid
    assert kids() == [new_kid, old_kid]


def test_a_retired_key_stays_published_until_its_last_token_has_expired(key_file, user):
    """Even --keep 0 keeps a key that stopped signing less than an access-token lifetime ago; later it goes."""
    old_kid = kid_of(user.access_token)
    rotate("--keep", "0")
    time_passes(key_file, STAGE_SECONDS)  # the new key signs: the old one retires now
    rotate("--keep", "0")
    assert old_kid in kids()
    assert active(user, user.access_token)

    time_passes(key_file, settings.AUTHSVC_ACCESS_TOKEN_MINUTES * 60 + 120)
    output = rotate("--keep", "0")
    assert old_kid not in kids()
    assert f"Dropped: {old_kid}" in output
    assert not active(user, user.access_token)


def test_keep_bounds_how_many_keys_with_expired_tokens_stay_published(key_file):
    """Retired keys whose tokens have all expired: the newest --keep of them stay, older ones are dropped."""
    oldest_first = kids()
    for _ in range(3):
        rotate("--keep", "5")
        oldest_first.append(kids()[0])
        time_passes(key_file, STAGE_SECONDS + settings.AUTHSVC_ACCESS_TOKEN_MINUTES * 60 + 120)
    assert kids() == oldest_first[::-1]  # one signing, three retired long enough ago

    output = rotate("--keep", "1")
    staged = kids()[0]
    assert kids() == [staged, oldest_first[3], oldest_first[2]]
    assert f"Dropped: {oldest_first[1]}" in output and f"Dropped: {oldest_first[0]}" in output


def test_now_signs_at_once_and_keep_zero_drops_every_other_key(key_file, user):
    """After a leak: `--now --keep 0` leaves the new key alone, signing; the old key's tokens stop verifying."""
    old_kid = kid_of(user.access_token)
    output = rotate("--now", "--keep", "0")

    assert len(kids()) == 1 and old_kid not in kids()
    assert kid_of(log_in(user).access_token) == kids()[0]
    assert not active(user, user.access_token)
    assert "signing now" in output


def test_the_command_says_each_keys_state_and_never_the_key(key_file):
    """The output names the staged key and when it signs, the signing key and retired keys; no PEM, no private member."""
    first = kids()[0]
    rotate()
    time_passes(key_file, STAGE_SECONDS)
    output = rotate()
    staged, signing = kids()[:2]

    assert re.search(rf"New signing key: {staged}, published now, signs from \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC\.", output)
    assert re.search(rf"^  {staged}  staged: signs from ", output, re.M)
    assert re.search(rf"^  {signing}  signing$", output, re.M)
    assert re.search(rf"^  {first}  retired: tokens it signed may be unexpired until ", output, re.M)
    assert "PRIVATE KEY" not in output and "BEGIN" not in output


def test_an_operator_stages_a_key_by_writing_signs_from_above_it(key_file, user):
    """A key put first with a future `signs-from:` line is published but does not sign; once its time has come, it does."""
    old_kid = kid_of(user.access_token)
    later = datetime.now(UTC) + timedelta(minutes=10)
    replace_file(key_file, f"signs-from: {later:%Y-%m-%dT%H:%M:%SZ}\n" + pem_of(new_private_key()).decode() + key_file.read_text())
    new_kid = kids()[0]

    assert kids() == [new_kid, old_kid]
    assert kid_of(log_in(user).access_token) == old_kid
    time_passes(key_file, 11 * 60)
    assert kid_of(log_in(user).access_token) == new_kid


@pytest.mark.parametrize(
    ("line", "message"),
    [("signs-from: tomorrow", "is not an ISO 8601 time"), ("signs-from: 2030-01-31T12:00:00", "names no time zone")],
    ids=["not-a-time", "no-time-zone"],
)
def test_an_unreadable_signs_from_is_a_clear_command_error(key_file, line, message):
    """The command names the file and what is wrong with the line, and writes nothing."""
    replace_file(key_file, f"{line}\n" + key_file.read_text())
    before = key_file.read_text()
    with pytest.raises(CommandError, match=message):
        rotate()
    assert key_file.read_text() == before
