"""Figure 9: import and export of users (bench/README.md).

`manage.py import_users` and the API both run `accounts.flows.user_import.users_import`; this figure
times it in a worker process on each store: 10,000 users (2,000 with BENCH_QUICK) whose passwords are
bcrypt `$2b$` hashes made once per run at cost 4 (the import stores them as they are and never hashes),
then the same file again (every line a duplicate: the cost of resuming an interrupted import), then the
export of the same users through the flow (what `export_users --include-hashes` reads) and through
GET users/export on the WSGI stack. Reported: users per second of each, and the worker's RSS growth
over the export.
"""

import json
from pathlib import Path

import bcrypt

from bench.common import Worker, log

BATCH_SIZE = 500


def hashes_file(scratch: Path, users: int) -> Path:
    """The import file, written once per run and shared by the stores."""
    path = scratch / f"import-{users}.ndjson"
    if not path.exists():
        with path.open("w") as out:
            for number in range(users):
                password_hash = bcrypt.hashpw(f"password {number}".encode(), bcrypt.gensalt(4)).decode()
                line = {"email": f"user{number}@example.com", "password_hash": password_hash, "email_verified": True,
                        "custom_fields": {"plan": "pro", "number": number}}
                out.write(json.dumps(line) + "\n")
    return path


def figure(env: dict, scratch: Path, users: int) -> dict:
    path = hashes_file(scratch, users)
    with Worker("bench.transfer_worker", env, name="transfer") as worker:
        worker.call("migrate")
        worker.call("setup")
        first = worker.call("import_file", path=str(path), batch_size=BATCH_SIZE)
        again = worker.call("import_file", path=str(path), batch_size=BATCH_SIZE)
        export = worker.call("export")
        api = worker.call("export_api")
    result = {
        "users": users,
        "batch_size": BATCH_SIZE,
        "import": {"users_per_second": round(first["created"] / first["seconds"]), "seconds": round(first["seconds"], 2),
                   "created": first["created"], "invalid": first["invalid"]},
        "reimport": {"lines_per_second": round(users / again["seconds"]), "seconds": round(again["seconds"], 2),
                     "duplicates": again["duplicates"], "created": again["created"]},
        "export": {"users_per_second": round(export["count"] / export["seconds"]), "seconds": round(export["seconds"], 2),
                   "count": export["count"], "rss_growth_mb": round(export["rss_growth"] / 2**20, 1)},
        "export_api": {"users_per_second": round(api["count"] / api["seconds"]), "seconds": round(api["seconds"], 2),
                       "count": api["count"], "status": api["status"]},
    }
    result["goal"] = {"met": first["created"] == users and again["created"] == 0 and export["count"] == users == api["count"]}
    log(
        f"  import {result['import']['users_per_second']} users/s, re-import {result['reimport']['lines_per_second']} lines/s, "
        f"export {result['export']['users_per_second']} users/s (API {result['export_api']['users_per_second']})"
    )
    return result
