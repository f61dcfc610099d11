"""README's "Five minutes with curl" runs as written: every curl line, with real curl, against a live
server, the placeholders filled in from the answers before them, each answering as the README says."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed (.ci/run installs it)"),
]

README = Path(__file__).resolve().parents[1] / "README.md"
# The status each step answers, in the block's order (the README's comments say the same).
STATUSES = [201, 200, 201, 200, 200, 200, 204, 200, 200, 200]


def curl_block() -> list[str]:
    """The block's lines, with `\\`-continued lines joined."""
    text = README.read_text()
    block = re.search(r"## Five minutes with curl\n+```sh\n(.*?)```", text, re.S)[1]
    return [line for line in block.replace("\\\n", " ").splitlines() if line.strip() and not line.lstrip().startswith("#")]


def run(script: str, port: str) -> tuple[int, str]:
    """One command in bash with the block's variables; its body and HTTP status."""
    result = subprocess.run(
        ["bash", "-c", re.sub(r"^(\s*)curl ", "\\1curl -w '\\\\n%{http_code}' ", script, flags=re.M)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PORT": port},
    )
    assert result.returncode == 0, result.stderr
    body, _, status = result.stdout.rpartition("\n")
    return int(status), body


def test_the_readme_curl_block_runs_as_written(live_server):
    """Register, check the key, sign up, log in, verify, refresh, log out, list and patch users, JWKS: as the README shows."""
    port = str(urlsplit(live_server.url).port)
    lines = curl_block()
    assert lines[0].startswith("make run &")
    variables, seen, statuses = [], {}, []
    for line in lines[1:]:
        if not line.lstrip().startswith("curl"):
            if line.startswith("CLIENT="):
                line = line.replace("6f0c…", seen["client_id"]).replace("ak_…", seen["access_key"])
            variables.append(line)
            continue
        for placeholder, value in (
            ("<access_token>", seen.get("access_token")),
            ("<newest refresh_token>", seen.get("newest_refresh_token")),
            ("<refresh_token>", seen.get("refresh_token")),
            ("<user_id>", seen.get("user_id")),
        ):
            if placeholder in line:
                line = line.replace(placeholder, value)
        status, body = run("\n".join([*variables, line]), port)
        statuses.append(status)
        answer = json.loads(body) if body.strip() else {}
        if "/register" in line:
            seen.update(client_id=answer["client_id"], access_key=answer["access_key"])
        elif "/login" in line:
            seen.update(access_token=answer["access_token"], refresh_token=answer["refresh_token"], user_id=answer["user_id"])
        elif "/token/refresh" in line:
            seen["newest_refresh_token"] = answer["refresh_token"]
        elif "/token/verify" in line:
            assert answer["active"] is True
    assert statuses == STATUSES
