"""Start-up benchmark: median wall time of vmctl commands against the floor of our stack.

Prints figures; asserts nothing. Goal: each vmctl command within 1.3x of `python -c "import typer, yaml"`.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
RUNS = 15

COMMANDS = {
    "floor: python -c 'import typer, yaml'": [sys.executable, "-c", "import typer, yaml"],
    "vmctl version": [str(BIN / "vmctl"), "version"],
    "vmctl create vm --from-template cirros ... --resolve": [
        str(BIN / "vmctl"), "create", "vm", "--from-template", "cirros", "-p", "NAME=x",
        "--instancetype", "u1.medium", "--resolve",
    ],
}


def median_seconds(argv: list[str]) -> float:
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)  # warm caches
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    results = {label: median_seconds(argv) for label, argv in COMMANDS.items()}
    floor = next(iter(results.values()))
    print(f"{'command':58} {'median ms':>10} {'x floor':>8}")
    for label, seconds in results.items():
        print(f"{label:58} {seconds * 1000:10.1f} {seconds / floor:8.2f}")
    print("goal: vmctl commands <= 1.30x floor")


if __name__ == "__main__":
    main()
