"""Render the ER diagram of docs/architecture.md to docs/er-diagram.png (`make docs`).

Mermaid runs in headless Chromium from the `mermaid` npm package installed under docs/
(no CDN, no network): the first ```mermaid block with an erDiagram is drawn on a local
page and screenshotted.
"""

import html
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
SOURCE = DOCS / "architecture.md"
OUTPUT = DOCS / "er-diagram.png"
MERMAID_JS = DOCS / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"

PAGE = """<!doctype html><html><head><meta charset="utf-8">
<style>body {{ margin: 16px; background: #fff; font-family: sans-serif; }}</style>
<script src="{script}"></script></head>
<body><pre class="mermaid">{diagram}</pre>
<script>mermaid.initialize({{ startOnLoad: true, theme: "default", er: {{ useMaxWidth: false }} }});</script>
</body></html>"""


def er_diagram_source() -> str:
    for block in re.findall(r"```mermaid\n(.*?)```", SOURCE.read_text(), flags=re.S):
        if block.lstrip().startswith("erDiagram"):
            return block
    raise SystemExit("no erDiagram block in docs/architecture.md")


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    raise SystemExit("Chromium is needed to render diagrams: apt-get install chromium")


def main() -> int:
    if not MERMAID_JS.exists():
        raise SystemExit("run `npm ci --prefix docs` first (make docs does)")
    with tempfile.TemporaryDirectory() as scratch:
        page = Path(scratch) / "er.html"
        page.write_text(PAGE.format(script=MERMAID_JS.as_uri(), diagram=html.escape(er_diagram_source())))
        subprocess.run(
            [
                chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                f"--user-data-dir={scratch}/profile", "--virtual-time-budget=5000", "--window-size=4900,2600",
                f"--screenshot={OUTPUT}", page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    print(f"wrote {OUTPUT.relative_to(DOCS.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
