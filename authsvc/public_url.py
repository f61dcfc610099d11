"""The public URL `make run` serves, recorded in AUTHSVC_VAR_DIR for every later process.

Commands run in another shell (`create_client` printing a documentation_url) must hand out
the same links as the server, which may listen on any PORT.
"""

import os
from pathlib import Path

FILE_NAME = "public_url"


def recorded_public_url(var_dir: Path) -> str:
    try:
        return (Path(var_dir) / FILE_NAME).read_text().strip()
    except FileNotFoundError:
        return ""


def record_public_url(var_dir: Path, url: str) -> None:
    """Replace the file in one step, so a process starting meanwhile reads the old URL or the new one."""
    path = Path(var_dir) / FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{FILE_NAME}.{os.getpid()}")
    temporary.write_text(url.rstrip("/") + "\n")
    os.replace(temporary, path)
