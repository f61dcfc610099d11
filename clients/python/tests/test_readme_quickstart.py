"""The "Quickstart for your backend" block runs as written against a live authsvc, and its settings make a
DRF view accept the access token it got.

Where the block is read: README.md (the repository's) once it has a "Quickstart for your backend"
section, and clients/python/README.md must then hold the same block; until then, the SDK's README.
"""

import re
from pathlib import Path

import pytest
from django.utils.module_loading import import_string
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from authsvc_client import InvalidToken

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.store_independent]

ROOT = Path(__file__).resolve().parents[3]
HEADING = "Quickstart for your backend"
MAX_LINES = 20
PLACEHOLDERS = {"http://127.0.0.1:8000": "{service}", "<client_id>": "{client_id}", "<access_key>": "{access_key}"}


def quickstart_block(readme: Path) -> str | None:
    """The ```python block that follows the heading (before any other heading), or None without the heading."""
    text = readme.read_text()
    heading = re.search(rf"^#+ {re.escape(HEADING)}\n", text, re.M)
    if heading is None:
        return None
    after = text[heading.end() :]
    fence = after.find("```python\n")
    assert fence >= 0 and not re.search(r"^#+ ", after[:fence], re.M), f"{readme.name}: '{HEADING}' has no ```python block"
    body = after[fence + len("```python\n") :]
    return body[: body.index("```")]


def the_quickstart() -> str:
    sdk_block = quickstart_block(ROOT / "clients" / "python" / "README.md")
    assert sdk_block is not None, f"clients/python/README.md has no '{HEADING}' section"
    readme_block = quickstart_block(ROOT / "README.md")
    if readme_block is not None:
        assert readme_block == sdk_block, "README.md and clients/python/README.md show different quickstarts"
    return readme_block or sdk_block


def test_the_quickstart_is_short_enough_to_paste():
    """Under 20 lines, every placeholder a reader fills in named."""
    block = the_quickstart()
    assert len(block.splitlines()) <= MAX_LINES
    assert all(placeholder in block for placeholder in PLACEHOLDERS)


def test_the_quickstart_runs_as_written_and_its_settings_authenticate_a_drf_view(service, tenant, settings):
    """Sign-up, login, refresh and logout happen on the live service; the DRF class it names accepts the token."""
    code = the_quickstart()
    values = {"service": service, "client_id": tenant.client_id, "access_key": tenant.access_key}
    for placeholder, name in PLACEHOLDERS.items():
        code = code.replace(placeholder, name.format(**values))
    namespace: dict = {}
    exec(compile(code, "quickstart", "exec"), namespace)
    user, tokens = namespace["user"], namespace["tokens"]
    assert user.email == "ada@example.com" and tokens.user_id == user.user_id
    with pytest.raises(InvalidToken):  # it logged out
        namespace["authsvc"].refresh(tokens.refresh_token)

    settings.AUTHSVC_CLIENT = namespace["AUTHSVC_CLIENT"]

    class Me(APIView):
        authentication_classes = [import_string(path) for path in namespace["REST_FRAMEWORK"]["DEFAULT_AUTHENTICATION_CLASSES"]]

        def get(self, request):
            return Response({"user_id": request.user.user_id, "sub": request.auth.claims["sub"]})

    response = Me.as_view()(APIRequestFactory().get("/me", HTTP_AUTHORIZATION=f"Bearer {tokens.access_token}"))
    assert response.status_code == 200 and response.data == {"user_id": user.user_id, "sub": user.user_id}
