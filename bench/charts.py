"""latest.png: one panel per figure, every series named with its store (matplotlib, Agg backend)."""

from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

COLOURS = {"sqlite": "#1f77b4", "mongodb": "#2ca02c", "postgresql": "#9467bd"}
OPS = {"first_call": "D", "login": "o", "refresh": "s", "verify": "^"}


def _bar_with_range(ax, x: float, spread: dict, colour: str, width: float) -> None:
    median = spread["median"]
    ax.bar(x, median, width=width, color=colour)
    ax.errorbar(x, median, yerr=[[median - spread["min"]], [spread["max"] - median]], fmt="none", ecolor="black", capsize=3)
    ax.annotate(f"{median}", (x, spread["max"]), ha="center", va="bottom", fontsize=7, xytext=(0, 2), textcoords="offset points")


def _grouped(ax, stores: list, groups: list[tuple[str, callable]]) -> None:
    width = 0.8 / max(len(stores), 1)
    for group_index, (_, pick) in enumerate(groups):
        for store_index, (store, data) in enumerate(stores):
            spread = pick(data)
            if spread:
                _bar_with_range(ax, group_index + (store_index - (len(stores) - 1) / 2) * width, spread, COLOURS[store], width)
    ax.set_xticks(range(len(groups)), [name for name, _ in groups], fontsize=8)
    for store, data in stores:
        ax.bar(0, 0, color=COLOURS[store], label=data["label"])
    ax.legend(fontsize=7, loc="lower right")


def login_panel(ax, stores: list) -> None:
    """12 rounds (the goal) as bars; 4 rounds, where the stack dwarfs a 1 ms bcrypt, as text."""
    _grouped(ax, stores, [("12 rounds (default)", lambda d: d.get("login_overhead", {}).get("12", {}).get("ratio"))])
    ax.axhline(1.05, color="red", linestyle="--", linewidth=1)
    ax.text(-0.45, 1.05, "goal ≤ 1.05", color="red", fontsize=7, va="bottom")
    ratios = [d["login_overhead"]["12"]["ratio"] for _, d in stores if d.get("login_overhead")]
    if ratios:
        ax.set_ylim(0.95, max(1.1, max(r["max"] for r in ratios) * 1.03))
    low = "; ".join(
        f"{d['label'].split(' (')[0]} {d['login_overhead']['4']['ratio']['median']}× "
        f"({d['login_overhead']['4']['overhead_ms']} ms over {d['login_overhead']['4']['check_password_p50_ms']['median']} ms)"
        for _, d in stores
        if d.get("login_overhead")
    )
    ax.text(0.02, 0.97, f"at 4 rounds: {low}", transform=ax.transAxes, fontsize=6.5, va="top", wrap=True)
    ax.set_ylabel("login p50 / check_password p50")
    ax.set_title("1. Login over the bcrypt floor (median, min–max)", fontsize=9)


def peer_panel(ax, stores: list) -> None:
    _grouped(
        ax,
        stores,
        [
            ("refresh", lambda d: d.get("peer", {}).get("refresh", {}).get("ratio")),
            ("verify", lambda d: d.get("peer", {}).get("verify", {}).get("ratio")),
        ],
    )
    ax.hlines(1.0, -0.45, 0.45, color="red", linestyle="--", linewidth=1)
    ax.hlines(0.8, 0.55, 1.45, color="red", linestyle="--", linewidth=1)
    ax.text(-0.45, 1.0, "goal ≥ 1.0", color="red", fontsize=7, va="bottom")
    ax.text(0.55, 0.8, "goal ≥ 0.8", color="red", fontsize=7, va="bottom")
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(matplotlib.ticker.FixedLocator([0.1, 0.2, 0.3, 0.5, 0.8, 1, 1.5, 2, 3, 5, 8, 10]))
    ax.yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_ylabel("throughput ours / SimpleJWT peer (log)")
    ax.set_title("2. Refresh and verify against the peer (median, min–max)", fontsize=9)


def scaling_latency_panel(ax, store: str, data: dict) -> None:
    rows = [row for row in data["scaling"]["sizes"] if row["by_cache_size"]["1024"]["p50_ms"]]
    for op, marker in OPS.items():
        xs = [row["clients"] for row in rows]
        ys = [row["by_cache_size"]["1024"]["p50_ms"][op] for row in rows]
        lows = [row["by_cache_size"]["1024"]["min_ms"][op] for row in rows]
        highs = [row["by_cache_size"]["1024"]["max_ms"][op] for row in rows]
        ax.errorbar(
            xs,
            ys,
            yerr=[[y - lo for y, lo in zip(ys, lows, strict=False)], [hi - y for y, hi in zip(ys, highs, strict=False)]],
            marker=marker,
            capsize=3,
            label=f"{op.replace('_', ' ')} p50",
        )
    for row in data["scaling"]["sizes"]:
        what_if = row.get("connection_per_request_what_if")
        if what_if and what_if["p50_ms"]:
            for op, marker in OPS.items():
                ax.scatter([row["clients"]], [what_if["p50_ms"][op]], marker=marker, s=60, facecolors="none", edgecolors="black")
            ax.scatter([], [], marker="o", s=60, facecolors="none", edgecolors="black", label="what-if: new connection per request")
            ax.annotate(
                f"{what_if['p50_ms']['verify']:.0f} ms with a new\nconnection per request",
                (row["clients"], what_if["p50_ms"]["verify"]),
                xytext=(-8, -4),
                textcoords="offset points",
                ha="right",
                va="top",
                fontsize=7,
            )
    unmeasured = [row["clients"] for row in data["scaling"]["sizes"] if not row["by_cache_size"]["1024"]["p50_ms"]]
    if unmeasured:
        ax.text(
            0.02,
            0.95,
            f"latency not measured at {', '.join(map(str, unmeasured))} clients (see latest.md)",
            transform=ax.transAxes,
            fontsize=7,
            va="top",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(matplotlib.ticker.FixedLocator([1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]))
    ax.yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("clients")
    ax.set_ylabel("p50 ms (min–max), random client")
    ax.set_title(f"3. Latency vs clients — {data['label']}", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")


def rss_panel(ax, stores: list) -> None:
    for store, data in stores:
        sizes = (data.get("scaling") or {}).get("sizes") or []
        for cache_size, style in (("100", "--"), ("1024", "-")):
            xs = [row["clients"] for row in sizes]
            ys = [row["by_cache_size"][cache_size]["rss_growth_mb"] for row in sizes]
            ax.plot(xs, ys, style, marker="o", color=COLOURS[store], label=f"{data['label']}, cache {cache_size}")
    ax.set_xscale("log")
    ax.set_xlabel("clients (up to 2,000 distinct ones touched per process)")
    ax.set_ylabel("RSS growth after touching clients, MB")
    ax.set_title("3. Memory vs clients, by model cache size", fontsize=9)
    ax.legend(fontsize=6)


def load_panel(ax, stores: list) -> None:
    endpoints = sorted({name for _, data in stores for name in (data.get("load") or {}).get("endpoints", {})} - {"register"})
    width = 0.8 / max(len(stores), 1)
    for store_index, (store, data) in enumerate(stores):
        load = data.get("load") or {}
        if "endpoints" not in load:
            continue
        xs = [index + (store_index - (len(stores) - 1) / 2) * width for index in range(len(endpoints))]
        ys = [load["endpoints"].get(name, {}).get("per_second", 0) for name in endpoints]
        ax.bar(
            xs,
            ys,
            width=width,
            color=COLOURS[store],
            label=f"{data['label']}: {load['requests_per_second']} req/s, "
            f"{load['server_errors']} 5xx, audit {'complete' if load['audit_complete'] else 'INCOMPLETE'}",
        )
        for x, name in zip(xs, endpoints, strict=False):
            item = load["endpoints"].get(name)
            if item:
                ax.annotate(
                    f"p99 {item['p99_ms']:.0f}",
                    (x, item["per_second"]),
                    ha="center",
                    va="bottom",
                    fontsize=6,
                    rotation=90,
                    xytext=(0, 2),
                    textcoords="offset points",
                )
    ax.set_xticks(range(len(endpoints)), endpoints, fontsize=8)
    ax.set_ylabel("requests/s (p99 ms on top)")
    ax.set_title("4. HTTP under load: gunicorn.conf.py, bcrypt 12 rounds, loopback", fontsize=9)
    ax.legend(fontsize=6, loc="upper right")
    ax.margins(y=0.3)


def provisioning_panel(ax, stores: list) -> None:
    for store, data in stores:
        sizes = [row for row in (data.get("scaling") or {}).get("sizes", []) if row["provision_ms_per_client"]["median"]]
        ax.plot(
            [row["clients"] for row in sizes],
            [row["provision_ms_per_client"]["median"] for row in sizes],
            marker="o",
            color=COLOURS[store],
            label=data["label"],
        )
    ax.set_xscale("log")
    ax.set_xlabel("clients after the step")
    ax.set_ylabel("ms per client provisioned (median of the step)")
    ax.set_title("3. Provisioning time per client", fontsize=9)
    ax.legend(fontsize=7)


def mixed_panel(ax, stores: list) -> None:
    """p99 of verify and refresh per store and server configuration, the 50 ms goal dashed."""
    bars = []
    for store, data in stores:
        for config, item in (data.get("mixed") or {}).items():
            if "endpoints" in item:
                bars.append((store, config, item))
    labels = []
    for index, (store, config, item) in enumerate(bars):
        for offset, name in ((-0.2, "verify"), (0.2, "refresh")):
            value = item["endpoints"].get(name, {}).get("p99_ms", 0)
            ax.bar(
                index + offset,
                value,
                width=0.4,
                color=COLOURS[store],
                alpha=1.0 if name == "verify" else 0.55,
                hatch="" if config == "recommended" else "//",
            )
            ax.annotate(f"{value:.0f}", (index + offset, value), ha="center", va="bottom", fontsize=6)
        labels.append(f"{store}\n{config}\nlogins {item['login_throughput_ratio']}x")
    ax.axhline(50, color="red", linestyle="--", linewidth=1)
    ax.set_xticks(range(len(labels)), labels, fontsize=7)
    ax.set_yscale("log")
    ax.set_ylabel("p99 ms (left verify, right refresh)")
    ax.set_title("5. Mixed load: cheap-call p99 while logins saturate bcrypt (goal 50 ms)", fontsize=9)


def goals_panel(ax, results: dict) -> None:
    from bench.report import goals

    ax.axis("off")
    rows = [line.strip("|").split("|") for line in goals(results)[2:]]
    text = "\n\n".join(
        f"{cells[0].strip()}\n"
        + "\n".join(
            f"   {label}: {cell.strip()}"
            for label, cell in zip([data["label"].split(" (")[0] for data in results["stores"].values()], cells[1:], strict=False)
        )
        for cells in rows
    )
    ax.text(0, 1, "Goals (details: latest.md)\n\n" + text.replace("**", ""), va="top", fontsize=6.8, family="monospace", wrap=True)


def draw(results: dict, path: Path) -> None:
    stores = list(results["stores"].items())
    figure, axes = plt.subplots(5, 2, figsize=(13, 23))
    login_panel(axes[0][0], stores)
    peer_panel(axes[0][1], stores)
    # One tenant-scaling panel per store; the third store's takes the free cell of the last row.
    scaling_axes = (axes[1][0], axes[1][1], axes[4][1])
    for ax in scaling_axes:
        ax.axis("off")
    for ax, (store, data) in zip(scaling_axes, stores, strict=False):
        if data.get("scaling"):
            ax.axis("on")
            scaling_latency_panel(ax, store, data)
    rss_panel(axes[2][0], stores)
    provisioning_panel(axes[2][1], stores)
    load_panel(axes[3][0], stores)
    mixed_panel(axes[3][1], stores)
    goals_panel(axes[4][0], results)
    figure.suptitle(f"authsvc benchmarks — {results['started_at']} ({results['mode']} run); details in latest.md", fontsize=11)
    figure.tight_layout(rect=(0, 0, 1, 0.98))
    figure.savefig(path, dpi=72)
    plt.close(figure)
