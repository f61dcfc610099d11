"""safe_http: a POST to a client's URL reaches only public addresses, the address that was checked,
follows no redirect, reads a capped answer and gives up at one deadline (real receivers on loopback)."""

import socket
import time

import pytest

from delivery.safe_http import DeliveryFailed, UnsafeDestination, destination_check, safe_post

pytestmark = pytest.mark.store_independent

JSON = {"Content-Type": "application/json"}

# Refused for what the host is or resolves to; with DEBUG on (http allowed) and the switch off.
# {port} is a live receiver's: a URL that got through would reach it.
ADDRESS_REFUSALS = [
    "http://127.0.0.1:{port}/hook",
    "http://0177.0.0.1:{port}/hook",  # octal
    "http://2130706433:{port}/hook",  # one decimal number
    "http://0x7f000001:{port}/hook",  # hex
    "http://127.1:{port}/hook",  # short form
    "http://0.0.0.0:{port}/hook",  # unspecified: Linux connects it to loopback
    "http://[::1]:{port}/hook",
    "http://[::]:{port}/hook",
    "http://[::ffff:127.0.0.1]:{port}/hook",  # IPv4-mapped
    "http://[::ffff:7f00:1]:{port}/hook",  # the same, in hex
    "http://localhost:{port}/hook",
    "http://localhost.:{port}/hook",
    "http://LocalHost:{port}/hook",
    "http://foo.localhost:{port}/hook",
    "http://10.0.0.1/hook",
    "http://172.16.0.1/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://[fd00:ec2::254]/latest/meta-data/",  # AWS metadata over IPv6
    "http://100.100.100.200/latest/meta-data/",  # Alibaba metadata
    "http://100.64.0.1/hook",  # shared address space (carrier-grade NAT)
    "http://224.0.0.1/hook",  # multicast
    "http://240.0.0.1/hook",  # reserved
    "http://[fe80::1]/hook",  # link-local
    "http://[fc00::1]/hook",  # unique-local
    "http://[fec0::1]/hook",  # site-local
    "http://[ff02::1]/hook",  # multicast
    "http://[2002:7f00:1::]/hook",  # 6to4 of 127.0.0.1
    "http://[2002:a00:1::]/hook",  # 6to4 of 10.0.0.1
    "http://[64:ff9b::7f00:1]/hook",  # NAT64 of 127.0.0.1
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook",  # Teredo, client 127.0.0.1
]

# Refused for the URL's form, whatever the host; DEBUG off unless said.
FORM_REFUSALS = [
    "http://example.com/hook",  # plain HTTP in production
    "ftp://example.com/hook",
    "javascript:alert(1)",
    "data:text/plain,hello",
    "file:///etc/passwd",
    "https://user@example.com/hook",
    "https://user:password@example.com/hook",
    "https://example.com\\@127.0.0.1/hook",
    "https:///hook",
    "https://",
    "https://exa mple.com/hook",
    "https://example.com/hook\r\nX-Injected: 1",
    "https://example.com/\x00",
    "https://exämple.com/hook",
    "https://example.com:0/hook",
    "https://example.com:65536/hook",
    "https://example.com:https/hook",
    "https://[example.com]/hook",
    "https://[fe80::1%25eth0]/hook",
    "https://example..com/hook",
    "https://example.com/" + "a" * 2048,
    "",
]


@pytest.mark.parametrize("template", ADDRESS_REFUSALS)
def test_urls_reaching_our_own_networks_are_refused_at_creation_and_at_delivery(template, hook_receiver, network, plain_http_allowed):
    """Loopback, private, link-local, metadata, multicast, reserved and shared addresses in any
    spelling (resolved by the system resolver, IPv4 unwrapped from IPv6) are refused by both
    checks, and no connection is even attempted."""
    url = template.format(port=hook_receiver.port)
    with pytest.raises(UnsafeDestination) as refused:
        destination_check(url)
    with pytest.raises(UnsafeDestination):
        safe_post(url, body=b"{}", headers=JSON, timeout=2)

    assert refused.value.code == "unsafe_url" and refused.value.fields == {"url": [refused.value.detail]}
    assert network.connected == [] and hook_receiver.received == []


@pytest.mark.parametrize("url", FORM_REFUSALS)
def test_urls_of_a_form_we_do_not_deliver_to_are_refused(url):
    """Not https (in production), credentials, no host, a bad port, spaces or control characters,
    non-ASCII, too long: refused before any resolution."""
    with pytest.raises(UnsafeDestination):
        destination_check(url)
    with pytest.raises(UnsafeDestination):
        safe_post(url, body=b"{}", headers=JSON, timeout=2, allow_private=True)


def test_refusals_tell_the_client_nothing_about_our_network():
    """A name that does not resolve and one that resolves to a private address get the same detail."""
    with pytest.raises(UnsafeDestination) as private:
        destination_check("https://10.0.0.1/hook")
    with pytest.raises(UnsafeDestination) as unknown:
        destination_check("https://no-such-host.invalid/hook")
    assert private.value.detail == unknown.value.detail
    assert "10.0.0.1" in private.value.reason


@pytest.mark.parametrize("url", ["https://93.184.215.14/hook", "https://[2606:4700:4700::1111]:8443/hook", "https://1.1.1.1/x?y=1"])
def test_public_addresses_pass_the_check(url):
    """Public IPv4 and IPv6 addresses are accepted (the check refuses what it must, not everything)."""
    destination_check(url)


def test_a_name_that_does_not_resolve_at_delivery_is_a_failed_attempt():
    """DNS failing at delivery is worth a retry: DeliveryFailed, not UnsafeDestination."""
    with pytest.raises(DeliveryFailed):
        safe_post("https://no-such-host.invalid/hook", body=b"{}", headers=JSON, timeout=2)


def test_the_switch_lets_deliveries_reach_private_addresses(hook_receiver, plain_http_allowed, settings):
    """AUTHSVC_WEBHOOK_ALLOW_PRIVATE (off by default) opens loopback and private networks to both checks."""
    url = hook_receiver.url()
    assert settings.AUTHSVC_WEBHOOK_ALLOW_PRIVATE is False
    settings.AUTHSVC_WEBHOOK_ALLOW_PRIVATE = True
    destination_check(url)
    assert safe_post(url, body=b"{}", headers=JSON, timeout=5).status == 204


def test_the_body_and_headers_reach_the_receiver_with_the_url_s_host(hook_receiver, plain_http_allowed):
    """The receiver gets the body, the headers, the path and query, and Host as in the URL."""
    response = safe_post(
        hook_receiver.url("/in/hook?tenant=acme"), body=b'{"type": "user.created"}', headers={**JSON, "webhook-id": "msg_1"},
        timeout=5, allow_private=True,
    )
    assert response.status == 204 and response.body == b"" and response.elapsed > 0
    [received] = hook_receiver.received
    assert (received.path, received.body) == ("/in/hook?tenant=acme", b'{"type": "user.created"}')
    assert received.headers["webhook-id"] == "msg_1" and received.headers["content-type"] == "application/json"
    assert received.headers["host"] == f"127.0.0.1:{hook_receiver.port}"


def test_a_name_is_resolved_once_and_the_connection_goes_to_the_checked_address(hook_receiver, network, plain_http_allowed):
    """DNS rebinding: the addresses checked are those of the one resolution the attempt makes, and
    the connection goes to one of them (no second lookup that could answer otherwise); Host names the name."""
    checked = {info[4][0] for info in socket.getaddrinfo("localhost", hook_receiver.port, type=socket.SOCK_STREAM)}
    network.resolved.clear()

    response = safe_post(hook_receiver.url(host="localhost"), body=b"{}", headers=JSON, timeout=5, allow_private=True)

    assert response.status == 204
    assert network.names_resolved == ["localhost"]
    assert network.connected and set(network.connected) <= checked
    assert hook_receiver.received[0].headers["host"] == f"localhost:{hook_receiver.port}"


def test_a_redirect_is_an_answer_not_followed(hook_receiver, second_receiver, plain_http_allowed):
    """A 302 comes back as 302; its Location (here another live receiver) gets nothing."""
    hook_receiver.status, hook_receiver.answer_headers = 302, {"Location": second_receiver.url("/elsewhere")}
    response = safe_post(hook_receiver.url(), body=b"{}", headers=JSON, timeout=5, allow_private=True)
    assert response.status == 302
    assert len(hook_receiver.received) == 1 and second_receiver.received == []


@pytest.mark.parametrize("limit", [4096, 10, 0])
def test_a_long_answer_is_read_only_up_to_the_cap(hook_receiver, plain_http_allowed, limit):
    """A 1 MB answer: only the first `max_response_bytes` are read and returned."""
    hook_receiver.status, hook_receiver.answer = 200, b"x" * 1_000_000
    response = safe_post(hook_receiver.url(), body=b"{}", headers=JSON, timeout=5, allow_private=True, max_response_bytes=limit)
    assert (response.status, response.body) == (200, b"x" * limit)


@pytest.mark.parametrize("behaviour", ["slow", "trickle"])
def test_a_receiver_that_does_not_answer_in_time_fails_the_attempt_at_the_deadline(hook_receiver, plain_http_allowed, behaviour):
    """A receiver holding its answer, or sending it a byte at a time (each read would be quick), is
    cut off at the attempt's one deadline: DeliveryFailed("timed out"), in about the timeout."""
    setattr(hook_receiver, behaviour, True)
    started = time.monotonic()
    with pytest.raises(DeliveryFailed) as failed:
        safe_post(hook_receiver.url(), body=b"{}", headers=JSON, timeout=0.5, allow_private=True)
    assert failed.value.reason == "timed out"
    assert time.monotonic() - started < 3  # far below the 30 s the receiver would hold it
    assert len(hook_receiver.received) == 1


def test_a_dead_receiver_fails_the_attempt(plain_http_allowed):
    """Nobody listening: DeliveryFailed at once."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(DeliveryFailed):
        safe_post(f"http://127.0.0.1:{port}/hook", body=b"{}", headers=JSON, timeout=5, allow_private=True)


def test_tls_is_verified_against_the_name_while_connecting_to_the_checked_address(tls_receiver, network):
    """https with DEBUG off: the name goes out as SNI, its certificate is verified, Host is the name,
    and the connection went to an address of the one resolution."""
    receiver = tls_receiver("localhost")
    response = safe_post(receiver.url(host="localhost"), body=b"{}", headers=JSON, timeout=5, allow_private=True)
    assert response.status == 204
    assert receiver.server_names == ["localhost"] and receiver.received[0].headers["host"] == f"localhost:{receiver.port}"
    assert network.names_resolved == ["localhost"] and network.connected


def test_a_certificate_for_another_name_fails_the_attempt(tls_receiver):
    """A certificate (trusted, but) for another name than the URL's: nothing is sent."""
    receiver = tls_receiver("elsewhere.test")
    with pytest.raises(DeliveryFailed):
        safe_post(receiver.url(host="localhost"), body=b"{}", headers=JSON, timeout=5, allow_private=True)
    assert receiver.received == []
