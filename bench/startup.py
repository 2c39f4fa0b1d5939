"""Start-up benchmark: median wall time of vmctl commands against the floor of our stack.

Prints figures; asserts nothing. Goals: ``create vm ... --resolve`` within 1.3x of
`python -c "import typer, yaml"`, ``vmctl version`` within 1.0x. The template cache (``~/.cache/vmctl``) is warm
after the warm-up round, as on any machine that ran vmctl before.
Bytecode is compiled first and the commands run without PYTHONDONTWRITEBYTECODE, so no run pays for
compiling; the median and the fastest run are printed (the fastest is the least disturbed by other load).
"""

from __future__ import annotations

import compileall
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
RUNS = 15
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

#: label -> (argv, goal as a multiple of the floor; None for the floor itself)
COMMANDS: dict[str, tuple[list[str], float | None]] = {
    "floor: python -c 'import typer, yaml'": ([sys.executable, "-c", "import typer, yaml"], None),
    "vmctl version": ([str(BIN / "vmctl"), "version"], 1.0),
    "vmctl create vm --from-template cirros ... --resolve": ([
        str(BIN / "vmctl"), "create", "vm", "--from-template", "cirros", "-p", "NAME=x",
        "--instancetype", "u1.medium", "--resolve",
    ], 1.3),
}


def run(argv: list[str]) -> float:
    """Wall time of one run, in seconds."""
    start = time.perf_counter()
    subprocess.run(argv, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def timings() -> dict[str, tuple[float, float]]:
    """(median, fastest) wall time in seconds of every command over RUNS rounds, after one warm-up round.

    The commands take turns within each round, so a burst of other load on the machine slows all of them
    alike instead of skewing one command's figures against the floor's.
    """
    times: dict[str, list[float]] = {label: [] for label in COMMANDS}
    for round_ in range(RUNS + 1):
        for label, (argv, _) in COMMANDS.items():
            elapsed = run(argv)
            if round_:
                times[label].append(elapsed)
    return {label: (statistics.median(t), min(t)) for label, t in times.items()}


def main() -> None:
    compileall.compile_dir(str(ROOT / "src"), quiet=1)
    results = timings()
    floor_median, floor_min = next(iter(results.values()))
    print(f"{'command':58} {'median ms':>10} {'x floor':>8} {'min ms':>8} {'x floor':>8} {'goal':>8}")
    for label, (median, fastest) in results.items():
        goal = COMMANDS[label][1]
        print(
            f"{label:58} {median * 1000:10.1f} {median / floor_median:8.2f} {fastest * 1000:8.1f} "
            f"{fastest / floor_min:8.2f} {'' if goal is None else f'<= {goal:.2f}x':>8}"
        )


if __name__ == "__main__":
    main()
