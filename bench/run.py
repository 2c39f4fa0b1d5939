"""Run the benchmarks in this folder and print their figures (no pass/fail).

Usage: python bench/run.py [SECTION ...]   e.g. ``python bench/run.py startup resolve``
SECTION is a script's name without ``.py`` (boot, cluster, get_vms, pool, pool_planner, resolve, startup); none: every one, in name order.
``boot`` and ``get_vms`` need libvirt (``boot`` starts real guests); ``startup`` and ``resolve`` need nothing.
"""

from __future__ import annotations

import argparse
import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    scripts = {p.stem: p for p in sorted(HERE.glob("*.py")) if p.name != "run.py"}
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sections", nargs="*", metavar="SECTION", help=f"one of: {', '.join(scripts)} (default: all)")
    chosen = parser.parse_args().sections or list(scripts)
    unknown = [name for name in chosen if name not in scripts]
    if unknown:
        parser.error(f"unknown section {', '.join(unknown)}: choose from {', '.join(scripts)}")
    for name in chosen:
        script = scripts[name]
        print(f"\n== {name} ==", flush=True)
        sys.argv = [str(script)]  # each benchmark parses its own (default) options
        try:
            runpy.run_path(str(script), run_name="__main__")
        except SystemExit as exc:
            if exc.code not in (0, None):
                print(f"{script.name} exited with {exc.code}", file=sys.stderr)
        except Exception as exc:  # a broken benchmark must not hide the others
            print(f"{script.name} failed: {exc}", file=sys.stderr)


if __name__ == "__main__":
    main()
