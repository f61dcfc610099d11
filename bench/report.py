"""latest.md: the tables of a run, goal by goal, store by store (read with bench/README.md)."""

import json

from bench import webhook_timing
from bench.common import RESULTS_DIR

BEFORE_FILE = RESULTS_DIR / "hotpaths-before.json"


def _spread(value: dict | None, unit: str = "") -> str:
    if not value:
        return "–"
    return f"{value['median']}{unit} ({value['min']}–{value['max']}{unit})"


def _verdict(met) -> str:
    return {True: "met", False: "**not met**", None: "not measured"}[met]


def _stores(results: dict):
    return list(results["stores"].items())


def _ran(results: dict, figure: str):
    """(store data, that figure's results) for each store the figure ran on."""
    return [(data, data[figure]) for _, data in _stores(results) if data.get(figure)]


def goals(results: dict) -> list[str]:
    stores = _stores(results)
    lines = ["| goal | " + " | ".join(data["label"] for _, data in stores) + " |", "|---|" + "---|" * len(stores)]

    def row(title: str, cell) -> None:
        lines.append(f"| {title} | " + " | ".join(cell(data) for _, data in stores) + " |")

    def login_cell(data):
        figure = data.get("login_overhead")
        return f"{figure['12']['ratio']['median']} → {_verdict(figure['goal']['met'])}" if figure else "–"

    def totp_cell(data):
        figure = data.get("login_totp")
        return f"{figure['ratio']['median']} → {_verdict(figure['goal']['met'])}" if figure else "–"

    def peer_cell(op, goal_key):
        def cell(data):
            figure = data.get("peer")
            return f"{figure[op]['ratio']['median']} → {_verdict(figure['goal'][goal_key])}" if figure else "–"

        return cell

    def scaling_cell(data):
        goal = (data.get("scaling") or {}).get("goal") or {}
        if goal.get("met") is None:
            return "not measured"
        named = {op: value for op, value in goal["latency_ratio"].items() if op != "first_call"}
        ratios = ", ".join(f"{op} {value}×" for op, value in named.items())
        first_call = goal["latency_ratio"].get("first_call")
        beside = f" (first call, key looked up: {first_call}×)" if first_call is not None else ""
        return f"{goal['from_clients']}→{goal['to_clients']} clients: {ratios} → {_verdict(goal['met'])}{beside}"

    def load_cell(data):
        load = data.get("load")
        if not load or "error" in load:
            return (load or {}).get("error", "–")
        return (
            f"{load['server_errors']} 5xx; {load['audit_records']} records / {load['audited_requests']} audited "
            f"→ {_verdict(load['goal']['met'])}"
        )

    row("1. login p50 / check_password p50 at 12 rounds ≤ 1.05", login_cell)
    row("1b. login with TOTP p50 / (check_password + TOTP check) p50 at 12 rounds ≤ 1.05", totp_cell)
    row("2. refresh throughput ours/peer ≥ 1.0", peer_cell("refresh", "refresh_met"))
    row("2. verify throughput ours/peer ≥ 0.8", peer_cell("verify", "verify_met"))
    row("3. latency at the largest size within 1.1× of at 10 clients", scaling_cell)
    row("4. zero 5xx, audit records = audited requests", load_cell)

    def mixed_cell(data):
        item = (data.get("mixed") or {}).get("recommended")
        if not item or "error" in item:
            return (item or {}).get("error", "–")
        endpoints = item["endpoints"]
        return (
            f"verify p99 {endpoints.get('verify', {}).get('p99_ms')} ms, refresh p99 {endpoints.get('refresh', {}).get('p99_ms')} ms, "
            f"logins {item['login_throughput_ratio']}× floor, {item['server_errors']} 5xx, audit "
            f"{'complete' if item['audit_complete'] else 'INCOMPLETE'} → {_verdict(item['goal']['met'])}"
        )

    row("5. mixed load, recommended server: verify/refresh p99 ≤ 50 ms, logins ≥ 0.9× cores/bcrypt, 0 5xx, audit", mixed_cell)

    def mail_cell(data):
        item = data.get("mail")
        if not item:
            return "–"
        told = ", ".join(
            f"{op} {item[op]['difference_ms']} ms, slower {item[op]['registered_slower_share']}, p {_mail_p(item[op])}"
            for op in ("forgot", "resend")
        )
        return f"{told} → {_verdict(item['goal']['met'])}"

    row(
        "6. forgot/resend on gunicorn, registered vs unknown email (≥ 200 interleaved samples a side): registered "
        "slower in 0.4–0.6 of pairs, p50 difference < 50 ms",
        mail_cell,
    )

    def floor_cell(data):
        item = data.get("floor")
        if not item or "error" in item:
            return (item or {}).get("error", "–")
        return (
            f"{item['verify']['per_second']['median']:.0f} / {item['healthz']['per_second']['median']:.0f} req/s = "
            f"{item['ratio']['median']}×, {item['bad_answers']} bad answers → "
            + (_verdict(item["goal"]["met"]) if item["goal"]["min_ratio"] else "reported (goal on SQLite)")
        )

    row("7. verify / healthz req/s over HTTP, recommended server ≥ 0.30 (SQLite)", floor_cell)
    row("8. login p50 with a dead webhook receiver / with a live one ≤ 1.1", webhook_timing.goal_cell)
    return lines


def login_section(results: dict) -> list[str]:
    lines = [
        "## 1. Login overhead over the bcrypt floor",
        "",
        "p50 of a full login through the WSGI stack in-process (access-key auth, rate limits, lookup, bcrypt,",
        "token issue, refresh row, audit row) over p50 of one `check_password` at the same rounds; login and",
        "check alternate one by one. Median of the runs (min–max).",
        "",
        "| store | rounds | ratio | login p50 ms | check_password p50 ms | overhead ms |",
        "|---|---|---|---|---|---|",
    ]
    for data, figure in _ran(results, "login_overhead"):
        for rounds in ("12", "4"):
            item = figure[rounds]
            lines.append(
                f"| {data['label']} | {rounds} | {_spread(item['ratio'])} | {_spread(item['login_p50_ms'])} | "
                f"{_spread(item['check_password_p50_ms'])} | {item['overhead_ms']} |"
            )
    return lines


def totp_section(results: dict) -> list[str]:
    if not _ran(results, "login_totp"):
        return []
    lines = [
        "## 1b. Login with TOTP over one bcrypt check plus one TOTP check",
        "",
        "p50 of the whole login of a user with TOTP on (the password call answering an mfa_token, then",
        "`login/mfa` with a code) over p50 of one `check_password` plus p50 of one pyotp check, at 12 rounds;",
        "the three alternate one by one. Median of the runs (min–max).",
        "",
        "| store | ratio | login with TOTP p50 ms | bcrypt + TOTP p50 ms | overhead ms |",
        "|---|---|---|---|---|",
    ]
    for data, figure in _ran(results, "login_totp"):
        lines.append(
            f"| {data['label']} | {_spread(figure['ratio'])} | {_spread(figure['login_totp_p50_ms'])} | "
            f"{_spread(figure['bcrypt_plus_totp_p50_ms'])} | {figure['overhead_ms']} |"
        )
    return [*lines, ""]


def peer_section(results: dict) -> list[str]:
    lines = [
        "## 2. Refresh and verify against a plain Django + SimpleJWT peer",
        "",
        "Sequential requests/s through each project's WSGI stack in-process, each in its own process and",
        "database on the same store; batches alternate (ours first, then the peer first). Ratio = ours/peer",
        "per round, median (min–max).",
        "",
        "| store | operation | ours req/s | peer req/s | ours/peer | ours p50 ms | peer p50 ms | queries ours / peer |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for data, figure in _ran(results, "peer"):
        for op in ("refresh", "verify"):
            item = figure[op]
            queries = f"{figure['queries']['ours'][op]['queries']} / {figure['queries']['peer'][op]['queries']}"
            lines.append(
                f"| {data['label']} | {op} | {item['ours_per_second']['median']} | {item['peer_per_second']['median']} | "
                f"{_spread(item['ratio'])} | {item['ours_p50_ms']['median']} | {item['peer_p50_ms']['median']} | {queries} |"
            )
    for _, data in _stores(results):
        what_if = (data.get("peer") or {}).get("verify_without_key_counter")
        if what_if:
            lines += [
                "",
                f"What-if on {data['label']}, not the configuration: verify without the per-key rate-limit counter "
                f"(a Redis round trip per slice of up to 16 calls; `AUTHSVC_RATE_LIMITS_ENABLED=False`): ours/peer {_spread(what_if['ratio'])}, ours p50 "
                f"{what_if['ours_p50_ms']['median']} ms against the peer's {what_if['peer_p50_ms']['median']} ms.",
            ]
    return lines


def hot_path_section(results: dict) -> list[str]:
    lines = [
        "## Hot paths: where one refresh and one verify spend their time",
        "",
        "cProfile of sequential requests, cumulative ms per request of the function that owns each step",
        "(profiling inflates Python work more than waiting on a store: read shares, not absolute times).",
        "Full listings: `bench/results/profile-<store>-<op>.txt` (not committed).",
        "",
    ]
    for data, paths in _ran(results, "hot_paths"):
        for op, item in paths.items():
            lines.append(f"**{data['label']}, {op}:** " + "; ".join(f"{step} {value}" for step, value in item["breakdown_ms"].items()))
            lines.append("")
    if BEFORE_FILE.exists():
        lines += before_after(results, json.loads(BEFORE_FILE.read_text()))
    return lines


def before_after(results: dict, before: dict) -> list[str]:
    lines = [
        "### Before / after the hot-path changes",
        "",
        f"Before: `{BEFORE_FILE.name}` ({before.get('note', '')}). After: this run. Throughput ratios against",
        "the same peer, so that the two runs compare despite a shared, noisy machine.",
        "",
        "| store | operation | queries before → after | ours/peer before → after | ours p50 ms before → after |",
        "|---|---|---|---|---|",
    ]
    for store, data in _stores(results):
        now, then = data.get("peer"), before.get("stores", {}).get(store, {}).get("peer")
        if not now or not then:
            continue
        for op in ("refresh", "verify"):
            lines.append(
                f"| {data['label']} | {op} | {then['queries']['ours'][op]['queries']} → {now['queries']['ours'][op]['queries']} | "
                f"{_spread(then[op]['ratio'])} → {_spread(now[op]['ratio'])} | "
                f"{then[op]['ours_p50_ms']['median']} → {now[op]['ours_p50_ms']['median']} |"
            )
    return lines


def scaling_section(results: dict) -> list[str]:
    lines = [
        "## 3. Tenant scaling",
        "",
        "Clients provisioned through `client_register` (row, key, users collection + unique index, audit).",
        "At each size, fresh processes touch up to N distinct clients (model + a lookup each) and report RSS",
        "growth with the model cache at 100 and at 1024 (the default); the 1024 process then times a first call",
        "(`GET /api/v1/<client_id>/`, its access key looked up in the store), then login, refresh and verify",
        "(the key now remembered by the process) through the WSGI stack, each sample on a client picked at",
        "random (bcrypt 4 rounds).",
        "",
    ]
    for data, figure in _ran(results, "scaling"):
        lines += [
            f"**{data['label']}**",
            "",
            "| clients | provision ms/client (median) | first call p50 ms | login p50 ms | refresh p50 ms | verify p50 ms | "
            "samples | touched | RSS growth MB, cache 100 (models) | RSS growth MB, cache 1024 (models) | RSS MB (1024) |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for row in figure["sizes"]:
            small, large = row["by_cache_size"]["100"], row["by_cache_size"]["1024"]
            p50s = large["p50_ms"]
            lines.append(
                f"| {row['clients']} | {row['provision_ms_per_client']['median']} | {p50s.get('first_call', '–')} | "
                f"{p50s.get('login', '–')} | "
                f"{p50s.get('refresh', '–')} | {p50s.get('verify', '–')} | {large['samples']} | {large['touched']} | "
                f"{small['rss_growth_mb']} ({small['models_cached']}) | {large['rss_growth_mb']} ({large['models_cached']}) | "
                f"{large['rss_mb']} |"
            )
        for row in figure["sizes"]:
            what_if = row.get("connection_per_request_what_if")
            if what_if and what_if["p50_ms"]:
                lines += [
                    "",
                    f"What-if at {row['clients']} clients, a new connection per request (AUTHSVC_DB_CONN_MAX_AGE=0, "
                    f"not the configured default): login {what_if['p50_ms'].get('login')} ms, refresh "
                    f"{what_if['p50_ms'].get('refresh')} ms, verify {what_if['p50_ms'].get('verify')} ms p50 "
                    f"({what_if['samples']} samples).",
                ]
        for note in figure.get("notes", []):
            lines += ["", f"Note: {note}"]
        lines.append("")
    return lines


def load_section(results: dict) -> list[str]:
    lines = [
        "## 4. HTTP under load (bench/loadtest.py)",
        "",
        "The production configuration (`gunicorn.conf.py`: gthread, one process per core, 8 threads) on",
        "loopback; a mixed workload from a second process (signup, then rounds of login, verify, refresh,",
        "verify, then logout per simulated user; bcrypt at the default 12 rounds).",
        "",
    ]
    for data, load in _ran(results, "load"):
        if "error" in load:
            lines += [f"**{data['label']}**: {load['error']}", ""]
            continue
        lines += [
            f"**{data['label']}**: {load['requests']} requests in {load['seconds']} s = {load['requests_per_second']} req/s "
            f"({load['users']} users × {load['rounds']} rounds, {load['threads']} client threads); p50 {load['p50_ms']} ms, "
            f"p99 {load['p99_ms']} ms; statuses {load['statuses']}; 5xx: {load['server_errors']}; audit records "
            f"{load['audit_records']} for {load['audited_requests']} audited requests "
            f"({'complete' if load['audit_complete'] else 'INCOMPLETE'}).",
            "",
            "| endpoint | requests | req/s | p50 ms | p99 ms | statuses |",
            "|---|---|---|---|---|---|",
        ]
        for name, item in load["endpoints"].items():
            lines.append(f"| {name} | {item['requests']} | {item['per_second']} | {item['p50_ms']} | {item['p99_ms']} | {item['statuses']} |")
        lines.append("")
    return lines


def mixed_section(results: dict) -> list[str]:
    lines = [
        "## 5. Mixed load: cheap calls while logins saturate bcrypt (bench/mixed_load.py)",
        "",
        "Each server configuration in turn, same store, same load: login threads (twice the cores) log in back",
        "to back at 12 rounds, so bcrypt fills every core; cheap threads loop verify, refresh, verify at a",
        "fixed pace, with a logout and a new family every few rounds. `recommended` is `gunicorn.conf.py`",
        "(gthread, one process per core, 8 threads); `sync` is gunicorn's default worker class with as many",
        "processes. Login floor = cores / one `check_password` at 12 rounds, measured in the same run.",
        "",
        "| store | server | verify p50 / p99 ms | refresh p50 / p99 ms | logout p50 / p99 ms | req/s | logins/s (× floor) | 5xx | audit | goal |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for _, data in _stores(results):
        for config, item in (data.get("mixed") or {}).items():
            if "error" in item:
                lines.append(f"| {data['label']} | {config} | {item['error']} |||||||")
                continue
            cells = []
            for name in ("verify", "refresh", "logout"):
                endpoint = item["endpoints"].get(name)
                cells.append(f"{endpoint['p50_ms']} / {endpoint['p99_ms']}" if endpoint else "–")
            lines.append(
                f"| {data['label']} | {config} | {' | '.join(cells)} | {item['requests_per_second']} | "
                f"{item['login_per_second']} ({item['login_throughput_ratio']}×) | {item['server_errors']} | "
                f"{item['audit_records']}/{item['audited_requests']} | {_verdict(item['goal']['met'])} |"
            )
    return lines


def _mail_p(timing: dict) -> float:
    """The smaller of the two tests' p-values: the samples count as told apart if either test does."""
    return min(timing["mann_whitney_p"], timing["permutation_p"])


def mail_section(results: dict) -> list[str]:
    lines = [
        "## 6. Mail timing: does the clock tell which emails have accounts? (bench/mail_timing.py)",
        "",
        "`password/forgot` and `email/resend` on gunicorn (gunicorn.conf.py) over loopback, a registered and an",
        "unknown email one after the other (order swapped each pair), while a mail worker (`manage.py mail_worker`)",
        "sends to an SMTP relay on loopback that takes 0.5 s per message. Difference of medians with its bootstrap",
        "95 % interval; Mann–Whitney U and a permutation test on the difference of medians (two-sided p-values);",
        "\"slower share\" is P(a registered sample > an unknown one): 0.5 when neither is slower, the goal is",
        "0.4–0.6. \"told apart\": either p-value under 0.01.",
        "",
        "| store | endpoint | samples a side | registered p50 ms | unknown p50 ms | difference ms (95 % CI) | "
        "slower share | Mann–Whitney p | permutation p | told apart | mails queued / delivered meanwhile | goal |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for data, item in _ran(results, "mail"):
        for op in ("forgot", "resend"):
            timing = item[op]
            low, high = timing["difference_ci95_ms"]
            lines.append(
                f"| {data['label']} | {op} | {timing['samples_per_side']} | {timing['registered_p50_ms']} | "
                f"{timing['unknown_p50_ms']} | {timing['difference_ms']} ({low} to {high}) | {timing['registered_slower_share']} | "
                f"{timing['mann_whitney_p']} | {timing['permutation_p']} | "
                f"{'yes' if timing['told_apart'] else 'no'} | "
                f"{item['queued']} / {item['delivered_while_measuring']} | {_verdict(timing['goal_met'])} |"
            )
    return lines


def floor_section(results: dict) -> list[str]:
    lines = [
        "## 7. token/verify over HTTP against the framework's floor (bench/http_floor.py)",
        "",
        "The recommended server (`gunicorn.conf.py`, worker recycling off) on loopback driven flat out by wrk",
        "(one thread, 16 keep-alive connections): `GET /healthz` (Django's request cycle and a JSON answer) and `POST",
        "token/verify` with the access key, one short batch each per round, alternating which goes first. Ratio =",
        "verify/healthz of the same round, median (min–max); wrk and the server share the machine's cores, and",
        "so does anything else running (load average at start and end of the figure in the last column).",
        "",
        "| store | verify req/s | healthz req/s | verify/healthz | verify p50 / p99 ms | healthz p50 / p99 ms | bad answers | goal | load |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for data, item in _ran(results, "floor"):
        if "error" in item:
            lines.append(f"| {data['label']} | {item['error']} ||||||||")
            continue
        verify, healthz = item["verify"], item["healthz"]
        lines.append(
            f"| {data['label']} | {_spread(verify['per_second'])} | {_spread(healthz['per_second'])} | {_spread(item['ratio'])} | "
            f"{verify['p50_ms']['median']} / {verify['p99_ms']['median']} | {healthz['p50_ms']['median']} / {healthz['p99_ms']['median']} | "
            f"{item['bad_answers']} | {_verdict(item['goal']['met']) if item['goal']['min_ratio'] else 'reported'} | "
            f"{' → '.join(map(str, item.get('load_average', [])))} |"
        )
    return lines


def transfer_section(results: dict) -> list[str]:
    lines = [
        "## 9. Import and export of users (bench/transfer.py)",
        "",
        "users_import (the command's and the API's flow) on a file of bcrypt `$2b$` hashes, stored as they are",
        "(no hashing), in batches of 500; the same file again (every line a duplicate: resuming costs this);",
        "then the export of the same users through the flow (`export_users --include-hashes`) and through",
        "GET users/export on the WSGI stack.",
        "",
        "| store | users | import users/s | re-import lines/s | export users/s | API export users/s | RSS growth over the export |",
        "|---|---|---|---|---|---|---|",
    ]
    for data, item in _ran(results, "transfer"):
        lines.append(
            f"| {data['label']} | {item['users']} | {item['import']['users_per_second']} ({item['import']['seconds']} s) | "
            f"{item['reimport']['lines_per_second']} | {item['export']['users_per_second']} | "
            f"{item['export_api']['users_per_second']} | {item['export']['rss_growth_mb']} MB |"
        )
    return lines


def merged_runs(results: dict) -> list[str]:
    """Partial runs merged into these results (BENCH_MERGE=1): which figures, when, from which commit."""
    lines = []
    for run in results.get("merged_runs", []):
        lines += [
            "",
            f"Merged later: {', '.join(run['figures'])} on {', '.join(run['stores'])} from a partial run at {run['started_at']} "
            f"(commit {run['commit']}, {run['seconds']} s, load average {run['load_average_at_start'][0]:.1f} at start).",
        ]
    return lines


def markdown(results: dict) -> str:
    machine = results["machine"]
    lines = [
        "# Benchmark results (latest run)",
        "",
        f"Run {results['started_at']}, mode `{results['mode']}`, {results['seconds']} s; {machine['cpus']} CPUs, "
        f"Python {machine['python']}; load average {', '.join(f'{x:.1f}' for x in machine['load_average_at_start'])} at "
        f"start (a shared machine: hence ratios measured side by side). How to read this: `bench/README.md`; "
        "charts: `latest.png`; raw numbers: `latest.json`.",
        *merged_runs(results),
        "",
        "## Goals",
        "",
        *goals(results),
        "",
        *login_section(results),
        "",
        *totp_section(results),
        *peer_section(results),
        "",
        *hot_path_section(results),
        "",
        *scaling_section(results),
        *load_section(results),
        "",
        *mixed_section(results),
        "",
        *mail_section(results),
        "",
        *floor_section(results),
        "",
        *webhook_timing.section([(data["label"], item) for data, item in _ran(results, "webhooks")]),
        "",
        *transfer_section(results),
    ]
    return "\n".join(lines).rstrip() + "\n"
