#!/usr/bin/env python
"""Run benchmarks: `bench/run.py` runs them all, `bench/run.py cases` runs bench/cases_bench.py.

Each benchmark is a module bench/<name>_bench.py with a main(argv) function; arguments after the
name are passed on to it (`bench/run.py cases --requests 500`).
"""

import importlib
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def available() -> list[str]:
    return sorted(path.name.removesuffix("_bench.py") for path in BENCH_DIR.glob("*_bench.py"))


def main(argv: list[str]) -> int:
    names = available()
    if argv and argv[0] in {"-h", "--help"}:
        print(__doc__)
        print("Available:", ", ".join(names))
        return 0
    if argv and argv[0] not in names:
        print(f"Unknown benchmark {argv[0]!r}. Available: {', '.join(names)}", file=sys.stderr)
        return 2
    selected, rest = (argv[:1], argv[1:]) if argv else (names, [])
    sys.path.insert(0, str(BENCH_DIR.parent))
    from bench import versions

    print(versions.line(), flush=True)
    status = 0
    for name in selected:
        print(f"== {name} ==", flush=True)
        module = importlib.import_module(f"bench.{name}_bench")
        status = max(status, module.main(rest) or 0)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
