"""README's Operations commands run as written, on a fresh embedded default with no secret key set.

The commands are read from the ```sh blocks of the "## Operations" section. Their notation:
`[...]` marks an optional part (run with it), `a|b` inside one word and `a | b` between whole
argument lists are alternatives (each is run), `...` means "more of the same" (dropped),
`<client_id>` is a client created for the case (`<key_id>` its first key's id), `# ...` is a comment.
A command whose comment says it "runs until stopped" (a server, a worker) must still run after a few
seconds, then stop cleanly on SIGTERM.
"""

import os
import re
import shlex
import signal
import subprocess
import time
from pathlib import Path

import pytest

from authsvc.embedded_redis import stop_embedded_redis

pytestmark = pytest.mark.embedded_default

ROOT = Path(__file__).resolve().parent.parent
COMMAND_PREFIX = [".venv/bin/python", "manage.py"]
SUPERUSER = {
    "DJANGO_SUPERUSER_USERNAME": "readme-admin",
    "DJANGO_SUPERUSER_EMAIL": "admin@example.com",
    "DJANGO_SUPERUSER_PASSWORD": "Readme-admin-password-1",
}


def section(markdown: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def shell_lines(text: str) -> list[str]:
    """Lines of the ```sh blocks in `text`, with backslash continuations joined."""
    lines = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, re.M | re.S):
        lines.extend(line.strip() for line in block.replace("\\\n", " ").splitlines() if line.strip())
    return lines


def variants(line: str) -> list[list[str]]:
    """The concrete argument lists one documented command line stands for."""
    words = [word.strip("[]") for word in shlex.split(line, comments=True)]
    words = [word for word in words if word and word != "..."]
    assert words[: len(COMMAND_PREFIX)] == COMMAND_PREFIX, line
    head, rest = words[: len(COMMAND_PREFIX) + 1], words[len(COMMAND_PREFIX) + 1 :]
    alternatives = [[]]
    for word in rest:
        if word == "|":
            alternatives.append([])
        else:
            alternatives[-1].append(word)
    return [head + chosen for arguments in alternatives for chosen in _word_alternatives(arguments)]


def _word_alternatives(arguments: list[str]) -> list[list[str]]:
    """`--active|--inactive` in one word: one argument list per choice."""
    expanded = [[]]
    for word in arguments:
        choices = word.split("|")
        expanded = [so_far + [choice] for so_far in expanded for choice in choices]
    return expanded


LONG_RUNNING = "runs until stopped"
STARTED_SECONDS = 5


def operations_commands() -> list[tuple[list[str], bool]]:
    """Each documented command, and whether it is one that runs until stopped."""
    lines = shell_lines(section((ROOT / "README.md").read_text(), "Operations"))
    commands = [
        (arguments, LONG_RUNNING in line)
        for line in lines
        if line.startswith(" ".join(COMMAND_PREFIX))
        for arguments in variants(line)
    ]
    assert commands, "README's Operations section lists no manage.py command"
    return commands


def fresh_environment(var_dir: Path) -> dict[str, str]:
    """What an operator's shell has: no DJANGO_SECRET_KEY, no DJANGO_DEBUG, no store or Redis URL."""
    return {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), "AUTHSVC_VAR_DIR": str(var_dir)}


def run(arguments: list[str], var_dir: Path, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        arguments, cwd=ROOT, env={**fresh_environment(var_dir), **extra}, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    """A var dir as `make run` leaves it (migrated, its URL recorded, so a second shell with DEBUG off
    knows its public URL); any embedded Redis a command starts is stopped."""
    var_dir = tmp_path_factory.mktemp("readme") / "var"
    migrated = run([*COMMAND_PREFIX, "prepare_embedded", "--port", "8000"], var_dir, DJANGO_DEBUG="1")
    assert migrated.returncode == 0, migrated.stderr
    yield var_dir
    stop_embedded_redis(var_dir)


def new_client(var_dir: Path) -> dict[str, str]:
    """A client made with create_client: its client_id and its first key's key_id."""
    created = run([*COMMAND_PREFIX, "create_client", "--name", "Readme", "--industry", "SaaS"], var_dir)
    assert created.returncode == 0, created.stderr
    return {
        "<client_id>": re.search(r"^client_id: +(\S+)$", created.stdout, re.M).group(1),
        "<key_id>": re.search(r"^access_key: +ak_([0-9a-f]+)\.", created.stdout, re.M).group(1),
    }


def concrete(arguments: list[str], var_dir: Path) -> tuple[list[str], dict[str, str]]:
    """Placeholders filled in; createsuperuser made non-interactive."""
    if "<client_id>" in arguments:
        values = new_client(var_dir)
        arguments = [values.get(word, word) for word in arguments]
    unfilled = [word for word in arguments if re.fullmatch(r"<[^>]+>", word)]
    assert not unfilled, f"no value for the placeholders {unfilled}"
    if arguments[2] == "createsuperuser":
        return [*arguments, "--noinput"], SUPERUSER
    return arguments, {}


def run_until_stopped(arguments: list[str], var_dir: Path) -> subprocess.CompletedProcess:
    """Start a command that serves until stopped; after a few seconds it must still run; SIGTERM stops it."""
    process = subprocess.Popen(
        arguments, cwd=ROOT, env=fresh_environment(var_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    time.sleep(STARTED_SECONDS)
    still_running = process.poll() is None
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=60)
    assert still_running, stdout + stderr
    return subprocess.CompletedProcess(arguments, process.returncode, stdout, stderr)


@pytest.mark.parametrize(
    ("arguments", "long_running"),
    [pytest.param(arguments, long_running, id=" ".join(arguments[2:])) for arguments, long_running in operations_commands()],
)
def test_each_operations_command_in_the_readme_runs_as_written(installation, arguments, long_running):
    """The command exits 0 without a traceback, with no DJANGO_SECRET_KEY or DJANGO_DEBUG set
    (one that runs until stopped: still running after a few seconds, then stopped by SIGTERM)."""
    command, extra_environment = concrete(arguments, installation)

    result = run_until_stopped(command, installation) if long_running else run(command, installation, **extra_environment)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
