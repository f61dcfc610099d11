"""Owner-only paths of an installation: the var directory and a SQLite database file.

The var directory holds the generated secret key, the signing key and, on the embedded default,
the SQLite file with every user's password hash and the HMACs of access keys and refresh tokens:
no other user of the machine may read any of it. The key files are written 0600 where they are
made (secret_key.py, accounts/signing_keys.py). SQLite would create its file with the process's
umask (0644 under the usual 022), and its -wal and -shm files copy that mode, so the file is
created 0600 before SQLite first opens it. An installation made before this is tightened at its
next start: group and other permission bits are taken away, nothing else changes.
"""

import os
import stat
from pathlib import Path

OWNER_ONLY_DIRECTORY = 0o700
OWNER_ONLY_FILE = 0o600
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def owner_only_directory(path: Path) -> Path:
    """`path`, created 0700 if missing (parents as usual), else tightened to owner-only if ours."""
    path.mkdir(parents=True, exist_ok=True, mode=OWNER_ONLY_DIRECTORY)
    _tighten(path, OWNER_ONLY_DIRECTORY)
    return path


def owner_only_sqlite_file(path: Path) -> Path:
    """The database file `path`, created empty 0600 if missing (SQLite takes an empty file for a new
    database); if it exists, it and its -wal/-shm/-journal files are tightened to owner-only."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=OWNER_ONLY_DIRECTORY)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY_FILE))
    except FileExistsError:
        for companion in (path, *(path.with_name(path.name + suffix) for suffix in SQLITE_COMPANIONS)):
            _tighten(companion, OWNER_ONLY_FILE)
    return path


def _tighten(path: Path, allowed: int) -> None:
    """Drop the mode bits beyond `allowed` of a path this process's user owns; leave anyone else's alone."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return
    mode = stat.S_IMODE(status.st_mode)
    if status.st_uid == os.getuid() and mode & ~allowed:
        path.chmod(mode & allowed)
