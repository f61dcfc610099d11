"""`pip install ./clients/python` installs a typed package importable as authsvc_client, depending on httpx."""

import subprocess
import sys
from email.parser import Parser
from pathlib import Path

import pytest

pytestmark = pytest.mark.store_independent

PACKAGE = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The package as pip installs it (the build backend from the environment: no download)."""
    target = tmp_path_factory.mktemp("site")
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--target", str(target), str(PACKAGE)]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    return target


def test_the_installed_package_is_typed_and_ships_every_module(installed):
    """py.typed (PEP 561) and every module of the source tree are in the installed package."""
    shipped = {path.name for path in (installed / "authsvc_client").iterdir()}
    source = {path.name for path in (PACKAGE / "src" / "authsvc_client").iterdir() if path.name != "__pycache__"}
    assert "py.typed" in shipped and source <= shipped


def test_the_installed_package_imports_by_its_name_and_declares_httpx(installed):
    """Imported from the install (not the source tree), with httpx as a requirement and PyJWT as an extra."""
    probe = "import authsvc_client, sys; print(authsvc_client.__file__); print(authsvc_client.__version__)"
    result = subprocess.run([sys.executable, "-c", probe], env={"PYTHONPATH": str(installed)}, capture_output=True, text=True, check=True)
    location, version = result.stdout.split()
    assert location.startswith(str(installed))
    (metadata,) = installed.glob("authsvc_client-*.dist-info/METADATA")
    fields = Parser().parsestr(metadata.read_text())
    assert (fields["Name"], fields["Version"]) == ("authsvc-client", version)
    requirements = fields.get_all("Requires-Dist")
    assert any(line.startswith("httpx") for line in requirements)
    assert any(line.startswith("PyJWT") and "extra == \"django\"" in line for line in requirements)
