"""The machine a run was on, and the results as Markdown tables for docs/performance.md."""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

START = "<!-- results:start (written by `python -m bench`; edit outside these markers) -->"
END = "<!-- results:end -->"

PACKAGES = [
    "uvicorn",
    "uvloop",
    "httptools",
    "starlette",
    "websockets",
    "wsproto",
    "python-socketio",
    "python-engineio",
    "broadcaster",
    "redis",
]


def _version(cmd: list[str]) -> str:
    if shutil.which(cmd[0]) is None:
        return "not installed"
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout
        return out.strip().splitlines()[0] if out.strip() else "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def machine() -> dict[str, Any]:
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    ws_pkg = Path(__file__).parent / "node_modules" / "ws" / "package.json"
    if ws_pkg.exists():
        import json

        versions["ws (node)"] = json.loads(ws_pkg.read_text())["version"]
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "node": _version(["node", "--version"]),
        "redis_server": _version(["redis-server", "--version"]),
        "packages": versions,
        # Other work on the machine during the run competes for the same two cores.
        "load_average": os.getloadavg(),
    }


def _cell(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, dict):
        return ", ".join(f"{k}: {_cell(x)}" for k, x in v.items()) or "-"
    return str(v).replace("|", "\\|")


def table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> str:
    head = "| " + " | ".join(title for _, title in columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    lines = [head, rule]
    for row in rows:
        if "error" in row:
            lines.append(
                f"| {_cell(row.get('server'))} | failed: {_cell(row['error'])} |"
                + " |" * (len(columns) - 2)
            )
            continue
        lines.append("| " + " | ".join(_cell(row.get(key)) for key, _ in columns) + " |")
    return "\n".join(lines)


LAT = [("p50_ms", "p50 ms"), ("p99_ms", "p99 ms"), ("max_ms", "max ms")]
DELIVERY = [("delivered", "delivered"), ("expected", "expected")]
CPU = [
    ("server_cpu_s", "server CPU s"),
    ("server_cpu_pct", "server CPU %"),
    ("generator_cpu_pct", "generator CPU %"),
]

COLUMNS: dict[str, list[tuple[str, str]]] = {
    "w1": [
        ("server", "server"),
        ("viewers", "viewers"),
        *LAT,
        *DELIVERY,
        ("live_p50_ms", "live p50 ms"),
        ("live_p99_ms", "live p99 ms"),
        ("live_received", "live frames received"),
        ("live_sent_x_viewers", "live updates x viewers"),
        *CPU,
        ("peak_rss_mb", "peak RSS MB"),
    ],
    "w3": [
        ("server", "server"),
        ("viewers", "viewers"),
        ("events", "events during the drop"),
        ("reconnected", "reconnected"),
        ("complete", "complete"),
        ("repeats", "runs"),
        ("all_reconnected_s_txt", "all reconnected s"),
        ("all_complete_s_txt", "all complete s"),
        ("gaps", "gaps"),
        ("duplicates", "duplicates"),
        ("server_cpu_s", "server CPU s"),
        ("server_cpu_us_per_reconnect_txt", "server CPU µs/reconnect"),
        ("generator_cpu_pct", "generator CPU %"),
        ("peak_rss_mb", "peak RSS MB"),
        ("verdict", "verdict"),
    ],
    "w4": [
        ("server", "server"),
        ("rooms", "rooms"),
        ("viewers_per_room", "viewers/room"),
        *LAT,
        *DELIVERY,
        ("live_p99_ms", "live p99 ms"),
        *CPU,
        ("gaps", "gaps"),
        ("peak_rss_mb", "peak RSS MB"),
    ],
    "w5": [
        ("server", "server"),
        ("processes", "processes"),
        ("max_deliveries_per_s", "max deliveries/s"),
        ("at_rate", "lines/s"),
        ("p50_ms", "p50 ms"),
        ("p99_ms", "p99 ms"),
        ("server_cpu_pct", "server CPU %"),
        ("generator_cpu_pct", "generator CPU %"),
        ("failed_at", "first failing step"),
    ],
    "w6": [
        ("server", "server"),
        ("rooms", "rooms"),
        ("lines_per_s", "lines/s"),
        ("acked", "acknowledged"),
        ("ack_p50_ms", "ack p50 ms"),
        ("ack_p99_ms", "ack p99 ms"),
        ("ack_max_ms", "ack max ms"),
        ("in_record", "in the record after kill -9"),
        ("missing", "missing"),
        ("server_cpu_pct", "server CPU %"),
    ],
    "w7": [
        ("server", "server"),
        ("client_offers_deflate", "client offers deflate"),
        ("viewers", "viewers"),
        ("failures", "failed"),
        ("connect_s", "connect s"),
        ("rss_before_mb", "RSS before MB"),
        ("rss_after_mb", "RSS after MB"),
        ("kb_per_viewer", "KB per viewer"),
    ],
    "w8": [
        ("server", "server"),
        ("viewers", "viewers"),
        ("stalled", "stalled"),
        *LAT,
        *DELIVERY,
        ("burst_p50_ms", "burst p50 ms"),
        ("burst_p99_ms", "burst p99 ms"),
        ("burst_delivered", "burst delivered"),
        ("burst_expected", "burst expected"),
        ("reader_closes", "readers dropped"),
        ("stalled_dropped", "stalled viewers' close codes"),
        ("rss_max_mb", "RSS max MB"),
        ("rss_end_mb", "RSS end MB"),
        *CPU,
    ],
}


def render(
    results: dict[str, Any],
    info: dict[str, Any],
    command: str,
    columns: dict[str, list[tuple[str, str]]] | None = None,
) -> str:
    """The results section: the machine, then each workload's table in the order run."""
    columns = {**COLUMNS, **(columns or {})}
    pk = ", ".join(f"{k} {v}" for k, v in info["packages"].items())
    out = [
        START,
        "",
        f"Run {info['date']} with `{command}`: {info['cores']} cores ({info['cpu']}), "
        f"{info['memory_gib']} GiB, Linux {info['kernel']}, Python {info['python']}, "
        f"Node.js {info['node']}, {info['redis_server'].split(' sha=')[0]}; {pk}. "
        f"Load average when the run ended: {', '.join(f'{x:.1f}' for x in info['load_average'])}. "
        "The server runs on core 0, the generator on core 1 (two-process runs: one process per "
        "core). Latencies are from the captioner's send to each viewer's receive, on the "
        "generator's clock.",
    ]
    for name, res in results.items():
        out += ["", f"### {name}: {res['title']}", "", table(res["rows"], columns[name])]
        load = res.get("load_average")
        if load:
            out.append(
                f"\n<sub>Load average (1, 5, 15 min) at the start: "
                f"{', '.join(f'{x:.1f}' for x in load['start'])}; at the end: "
                f"{', '.join(f'{x:.1f}' for x in load['end'])}.</sub>"
            )
        if name == "w5":
            for row in res["rows"]:
                if row.get("steps"):
                    steps = "; ".join(
                        f"{s['rate']:g}/s → {s['deliveries_per_s']}/s p99 {s['p99_ms']} ms"
                        + (f" lost {s['lost']}" if s["lost"] else "")
                        + f" (srv {s['server_cpu_pct']}%, gen {s['generator_cpu_pct']}%)"
                        for s in row["steps"]
                    )
                    out.append(
                        f"\n<sub>{_cell(row['server'])}"
                        f"{' (client offers deflate)' if row.get('client_offers_deflate') else ''}"
                        f": {steps}</sub>"
                    )
    out += ["", END]
    return "\n".join(out)


def write_doc(path: Path, section: str) -> None:
    """Replace the results section of the document, keeping the analysis around it."""
    text = path.read_text() if path.exists() else f"# Performance\n\n{START}\n{END}\n"
    if START in text and END in text:
        before = text.split(START, 1)[0]
        after = text.split(END, 1)[1]
        text = before + section + after
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text)
