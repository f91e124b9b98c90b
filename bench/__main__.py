"""Run the benchmark: ``python -m bench`` (all workloads, writes docs/performance.md and
bench/results/latest.json), ``python -m bench --quick`` (a few seconds each, prints JSON only),
``python -m bench fanout w7`` (some workloads)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from bench import capacity, compression, fanout, hotpath, storm, workloads
from bench.report import COLUMNS, machine, render, write_doc
from bench.workloads import FULL, QUICK, Entry, run

ROOT = Path(__file__).resolve().parent.parent

# Every workload, in the order a full run takes them: one module per workload (or family of
# workloads), registered here with its table's columns.
REGISTRY: dict[str, Entry] = {
    "fanout": Entry("fan-out, one captioner (headline)", fanout.headline, fanout.COLUMNS),
    "fanout-many": Entry(
        "fan-out, seven captioner connections (secondary)", fanout.many_captioners, fanout.COLUMNS
    ),
    "hotpath": Entry("work per viewer before the kernel's write", hotpath.hotpath, hotpath.COLUMNS),
    "redis-cost": Entry(
        "Redis CPU per committed line, by subscribed processes",
        capacity.redis_cost,
        capacity.COLUMNS,
    ),
    "w1": Entry("steady meeting", workloads.w1, COLUMNS["w1"]),
    "w3": Entry("reconnect storm", storm.w3, COLUMNS["w3"]),
    "w4": Entry("many rooms", workloads.w4, COLUMNS["w4"]),
    "w5": Entry("scale-out over Redis", workloads.w5, COLUMNS["w5"], needs_redis=True),
    "w6": Entry("record: acknowledgement latency", workloads.w6, COLUMNS["w6"], needs_redis=True),
    "w7": Entry("idle memory", workloads.w7, COLUMNS["w7"]),
    "w8": Entry("stalled viewers", workloads.w8, COLUMNS["w8"]),
}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "workloads",
        nargs="*",
        help=f"some of {' '.join(REGISTRY)} (default all), or {compression.NAME}",
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks, not figures")
    parser.add_argument("--json", type=Path, help="where to write the results as JSON")
    parser.add_argument(
        "--doc",
        type=Path,
        help="the Markdown document to update (default with a full run: docs/performance.md)",
    )
    args = parser.parse_args()
    if compression.NAME in args.workloads:  # its own workload, section and JSON file
        args.workloads.remove(compression.NAME)
        results = ROOT / "bench" / "results" / "compression.json"
        docs = ROOT / "docs" / "performance.md"
        out = compression.main(args.quick, args.json or (None if args.quick else results),
                               args.doc or (None if args.quick else docs))  # fmt: skip
        if args.quick and args.json is None:
            json.dump(out, sys.stdout, indent=1)
        if not args.workloads:
            return 0
    names = args.workloads or list(REGISTRY)
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        parser.error(f"unknown workload {unknown[0]!r}; choose from {' '.join(REGISTRY)}")
    size = QUICK if args.quick else FULL
    t0 = time.monotonic()
    command = "python -m bench" + (" --quick" if args.quick else "")
    command += "".join(f" {n}" for n in args.workloads)
    json_path = args.json or (None if args.quick else ROOT / "bench" / "results" / "latest.json")
    doc_path = args.doc or (None if args.quick else ROOT / "docs" / "performance.md")
    doc: dict[str, object] = {}
    columns = {name: entry.columns for name, entry in REGISTRY.items()}

    def save(results: dict[str, object]) -> None:
        # Written after every workload, so a long run that is stopped keeps what it measured.
        info = machine()
        doc.update(machine=info, command=command, wall_s=round(time.monotonic() - t0, 1))
        doc["results"] = results
        if json_path is not None:
            json_path.parent.mkdir(parents=True, exist_ok=True)
            json_path.write_text(json.dumps(doc, indent=1) + "\n")
        if doc_path is not None:
            write_doc(doc_path, render(results, info, command, columns))

    log = lambda m: print(f"[bench] {m}", file=sys.stderr)  # noqa: E731
    save(asyncio.run(run(names, REGISTRY, size, log, save)))
    if json_path is None:
        json.dump(doc, sys.stdout, indent=1)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
