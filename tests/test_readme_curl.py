"""README's "Five minutes with curl" and "Second factor with curl" run as written: every curl line, with
real curl, against a live server, the placeholders filled in from the answers before them, each
answering as the README says (its status, and the keys and plain values of the answer it shows)."""

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

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
# The status each step answers, in the blocks' order (the README's comments say the same).
STATUSES = [201, 200, 201, 200, 200, 200, 204, 200, 200, 200] + [201, 200, 200, 200, 200, 201, 201, 200]
# What the reader pastes in place of each placeholder: the latest answer's value of that name.
PLACEHOLDERS = {
    "<access_token>": "access_token",
    "<newest refresh_token>": "newest_refresh_token",
    "<refresh_token>": "refresh_token",
    "<user_id>": "user_id",
    "<secret>": "secret",
    "<mfa_token>": "mfa_token",
    "<a recovery code>": "recovery_code",
}
# The answers' fields a later line needs.
KEPT = ("client_id", "access_key", "user_id", "access_token", "refresh_token", "secret", "mfa_token")
# A comment line showing an answer: `# {`, `# 201 {`, or the indented rest of one.
ANSWER_COMMENT = re.compile(r"#( \d{3})? \{|#  ")
# A key of a shown answer, with its value when that is a plain JSON scalar.
CLAIM = re.compile(r'"(\w+)": ("(?:[^"\\]|\\.)*"|true|false|null|-?\d+)?')


def block(heading: str) -> list[str]:
    """The sh block under a README heading, its lines as written, `\\`-continued lines joined."""
    return re.search(rf"{heading}\n.*?```sh\n(.*?)```", README.read_text(), re.S)[1].replace("\\\n", " ").splitlines()


def claimed_answer(lines: list[str], index: int) -> str:
    """What the README shows a curl line answering: its own trailing comment and the answer comments right below it."""
    shown = re.split(r"\s+#\s", lines[index], maxsplit=1)[1:]
    for line in lines[index + 1 :]:
        if not ANSWER_COMMENT.match(line):
            break
        shown.append(line)
    return " ".join(shown)


def check_claims(claim: str, status: int, answer: dict) -> None:
    """The shown answer's status, keys and plain values (booleans, numbers, strings without "…") are the real one's."""
    if shown_status := re.match(r"\s*#?\s*(\d{3})\b", claim):
        assert int(shown_status[1]) == status, claim
    for key, value in CLAIM.findall(claim):
        assert key in answer, (key, answer)
        if value and "…" not in value:
            assert answer[key] == json.loads(value), (key, answer)


def run(script: str, port: str) -> tuple[int, str]:
    """One command in bash with the blocks' variables, from the checkout as `make run` is; its body and HTTP status."""
    result = subprocess.run(
        ["bash", "-c", re.sub(r"^(\s*)curl ", "\\1curl -w '\\\\n%{http_code}' ", script, flags=re.M)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "PORT": port},
    )
    assert result.returncode == 0, result.stderr
    body, _, status = result.stdout.rpartition("\n")
    return int(status), body


def keep(line: str, answer: dict, seen: dict[str, str]) -> None:
    """What the reader takes from an answer for the placeholders after it."""
    seen.update((name, answer[name]) for name in KEPT if name in answer)
    if "recovery_codes" in answer:
        seen["recovery_code"] = answer["recovery_codes"][0]
    if "/token/refresh" in line:
        seen["newest_refresh_token"] = answer["refresh_token"]


def test_the_readme_curl_blocks_run_as_written(live_server, sealing_key):
    """Register, sign up, log in, tokens, users, JWKS; then TOTP on, a login with a second factor, and the enrolment
    a client requiring one asks for: each line as the README shows it, answering as its comments say."""
    port = str(urlsplit(live_server.url).port)
    first, second = block("## Five minutes with curl"), block("### Second factor with curl")
    assert first[0].startswith("make run &")
    lines = first[1:] + second
    variables, seen, statuses = [], {}, []
    for index, line in enumerate(lines):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        for placeholder, name in PLACEHOLDERS.items():
            if placeholder in line:
                line = line.replace(placeholder, seen[name])
        if not line.lstrip().startswith("curl"):
            if line.startswith("CLIENT="):
                line = line.replace("6f0c…", seen["client_id"]).replace("ak_…", seen["access_key"])
            variables.append(line)
            continue
        status, body = run("\n".join([*variables, line]), port)
        statuses.append(status)
        answer = json.loads(body) if body.strip() else {}
        check_claims(claimed_answer(lines, index), status, answer)
        keep(line, answer, seen)
    assert statuses == STATUSES
