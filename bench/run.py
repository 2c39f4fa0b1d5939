"""Run every benchmark in this folder and print its figures (no pass/fail)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    for script in sorted(HERE.glob("*.py")):
        if script.name == "run.py":
            continue
        print(f"\n== {script.stem} ==", flush=True)
        try:
            runpy.run_path(str(script), run_name="__main__")
        except SystemExit as exc:
            if exc.code not in (0, None):
                print(f"{script.name} exited with {exc.code}", file=sys.stderr)
        except Exception as exc:  # a broken benchmark must not hide the others
            print(f"{script.name} failed: {exc}", file=sys.stderr)


if __name__ == "__main__":
    main()
