"""AsyncAuthsvcClient: the same methods as AuthsvcClient, awaited, against the live authsvc."""

import asyncio
import inspect
import time

import httpx
import pytest
from conftest import ORIGIN, PASSWORD, RP_ID, totp_code, unique_email, wrong_code

from authsvc_client import (
    AsyncAuthsvcClient,
    AuthsvcClient,
    EmailTaken,
    InvalidMfaCode,
    InvalidToken,
    MfaRequired,
    RateLimited,
    TokenPair,
)
from tests.authenticator import SoftAuthenticator
from tests.conftest import make_tenant

pytestmark = pytest.mark.store_independent

SYNC_ONLY = {"close"}
ASYNC_ONLY = {"aclose"}


def public_methods(cls) -> dict[str, inspect.Signature]:
    return {name: inspect.signature(member) for name, member in vars(cls).items() if callable(member) and not name.startswith("_")}


def test_both_clients_have_the_same_methods_with_the_same_parameters():
    """Every public method of the sync client exists on the async one, with the same signature."""
    sync, asynchronous = public_methods(AuthsvcClient), public_methods(AsyncAuthsvcClient)
    assert set(sync) - SYNC_ONLY == set(asynchronous) - ASYNC_ONLY
    for name in set(sync) - SYNC_ONLY:
        assert list(sync[name].parameters) == list(asynchronous[name].parameters), name
        assert [p.default for p in sync[name].parameters.values()] == [p.default for p in asynchronous[name].parameters.values()], name


def test_iterators_are_async_iterators_and_other_methods_coroutines():
    """The listings are `async for` iterators; every other call is awaited."""
    for name in public_methods(AsyncAuthsvcClient):
        if name in ("list_users", "list_audit", "list_webhook_deliveries", "export_users"):
            assert not inspect.iscoroutinefunction(getattr(AsyncAuthsvcClient, name)), name
        else:
            assert inspect.iscoroutinefunction(getattr(AsyncAuthsvcClient, name)), name


async def journey(client: AsyncAuthsvcClient) -> dict:
    email = unique_email()
    signed_up = await client.signup(email, PASSWORD, {"plan": "pro"})
    pair = await client.login(email, PASSWORD, end_user_ip="198.51.100.7")
    renewed = await client.refresh(pair.refresh_token)
    introspection = await client.verify(renewed.access_token)
    try:
        await client.refresh(pair.refresh_token)
        reuse = None
    except InvalidToken as exc:
        reuse = exc.code
    for n in range(3):
        await client.signup(f"more{n}-{email}", PASSWORD)
    listed = [user.email async for user in client.list_users(page_size=2)]
    exported = [user.email async for user in client.export_users()]
    await client.logout(renewed.refresh_token)
    settings = await client.get_settings()
    return {
        "signed_up": signed_up, "pair": pair, "renewed": renewed, "introspection": introspection, "reuse": reuse,
        "listed": listed, "exported": exported, "settings": settings, "user": await client.get_user(signed_up.user_id),
        "after_logout": await client.verify(renewed.access_token),
    }


@pytest.mark.django_db(transaction=True)
def test_an_end_user_journey_through_the_async_client(service, tenant):
    """Sign-up, login, refresh, verify, reuse refused, paging, logout: the same answers as the sync client."""

    async def run() -> dict:
        async with AsyncAuthsvcClient(service, tenant.client_id, tenant.access_key) as client:
            return await journey(client)

    seen = asyncio.run(run())
    assert isinstance(seen["pair"], TokenPair) and seen["renewed"].user_id == seen["signed_up"].user_id
    assert seen["introspection"].active and seen["introspection"].user_id == seen["signed_up"].user_id
    assert seen["reuse"] == "token_reused"
    assert len(seen["listed"]) == 4 and seen["listed"][0] == seen["signed_up"].email
    assert seen["exported"] == seen["listed"]
    assert seen["settings"].client_id == tenant.client_id and seen["user"].custom_fields == {"plan": "pro"}
    assert seen["after_logout"].active is False


@pytest.mark.django_db(transaction=True)
def test_async_errors_are_the_same_classes(service, tenant):
    """A taken email raises EmailTaken with the envelope, as in the sync client."""

    async def run() -> EmailTaken:
        async with AsyncAuthsvcClient(service, tenant.client_id, tenant.access_key) as client:
            await client.signup("ada@example.com", PASSWORD)
            with pytest.raises(EmailTaken) as raised:
                await client.signup("ada@example.com", PASSWORD)
            return raised.value

    error = asyncio.run(run())
    assert (error.status, error.code) == (409, "email_taken")


@pytest.mark.django_db(transaction=True)
def test_async_retries_a_safe_call_after_retry_after_then_raises(service, tenant):
    """A real 429 on verify: sent again after Retry-After (asyncio.sleep), then raised once retries are spent."""
    tenant.client.rate_limits = {"access_key": "0/s"}
    tenant.client.save()
    statuses: list[int] = []

    async def record(response: httpx.Response) -> None:
        statuses.append(response.status_code)

    async def run() -> None:
        async with httpx.AsyncClient(event_hooks={"response": [record]}) as http:
            client = AsyncAuthsvcClient(service, tenant.client_id, tenant.access_key, retries=1, http_client=http)
            with pytest.raises(RateLimited):
                await client.verify("any-token")

    started = time.monotonic()
    asyncio.run(run())
    assert statuses == [429, 429]
    assert time.monotonic() - started >= 1.0


async def second_factor_journey(client: AsyncAuthsvcClient) -> dict:
    signed_up = await client.signup(unique_email(), PASSWORD)
    token = signed_up.mfa_enrollment.mfa_token
    secret = (await client.login_mfa_totp_enrol(token)).secret
    enrolled = await client.login_mfa_totp_confirm(token, totp_code(secret, -1))
    step = await client.login(signed_up.email, PASSWORD)
    try:
        await client.login_mfa(step.mfa_token, code=wrong_code(secret))
        wrong = None
    except InvalidMfaCode as exc:
        wrong = exc.code
    tokens = await client.login_mfa(step.mfa_token, code=totp_code(secret))
    return {
        "signed_up": signed_up, "enrolled": enrolled, "step": step, "wrong": wrong, "tokens": tokens,
        "introspection": await client.verify(tokens.access_token),
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sealing_key")
def test_a_second_factor_journey_through_the_async_client(service):
    """mfa_policy required: sign-up's enrolment token enrols TOTP and logs in; the next login asks for a code,
    refuses a wrong one with InvalidMfaCode and finishes with a right one."""
    tenant = make_tenant("Async MFA", mfa_policy="required")

    async def run() -> dict:
        async with AsyncAuthsvcClient(service, tenant.client_id, tenant.access_key) as client:
            return await second_factor_journey(client)

    seen = asyncio.run(run())
    user_id = seen["signed_up"].user_id
    assert seen["signed_up"].tokens is None and seen["enrolled"].tokens.user_id == user_id and len(seen["enrolled"].recovery_codes) == 10
    assert isinstance(seen["step"], MfaRequired) and seen["wrong"] == "invalid_mfa_code"
    assert isinstance(seen["tokens"], TokenPair) and (seen["introspection"].active, seen["introspection"].user_id) == (True, user_id)


@pytest.mark.django_db(transaction=True)
def test_a_passkey_registered_and_used_through_the_async_client(service, tenant):
    """update_settings sets the relying party; registration, listing and a passwordless login, awaited."""
    authenticator = SoftAuthenticator()

    async def run() -> tuple:
        async with AsyncAuthsvcClient(service, tenant.client_id, tenant.access_key) as client:
            await client.update_settings(passkey_rp_id=RP_ID, passkey_origins=[ORIGIN])
            user = await client.signup(unique_email(), PASSWORD)
            options = await client.passkey_registration_options(user.user_id)
            passkey = await client.register_passkey(user.user_id, authenticator.create(options, origin=ORIGIN))
            login = await client.passkey_login_options()
            tokens = await client.login_passkey(login.challenge_id, authenticator.get(login.options, origin=ORIGIN))
            return user, passkey, await client.list_passkeys(user.user_id), tokens

    user, passkey, listed, tokens = asyncio.run(run())
    assert [entry.passkey_id for entry in listed] == [passkey.passkey_id]
    assert isinstance(tokens, TokenPair) and tokens.user_id == user.user_id
