"""The process's one authsvc client (its connection pool is shared by every request)."""

import functools

from django.conf import settings

from authsvc_client import AuthsvcClient


@functools.cache
def authsvc() -> AuthsvcClient:
    config = settings.AUTHSVC_CLIENT
    return AuthsvcClient(config["BASE_URL"], config["CLIENT_ID"], config["ACCESS_KEY"])


def end_user(request) -> dict[str, str]:
    """Who is behind the call, for authsvc's audit and per-address limits (no proxy in front here;
    behind one, take the address your proxy vouches for)."""
    return {"end_user_ip": request.META.get("REMOTE_ADDR", ""), "end_user_agent": request.headers.get("User-Agent", "")}
