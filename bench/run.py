"""`make bench`: run every bench/bench_*.py in turn and report how each ended.

    python bench/run.py                 # all of them
    python bench/run.py export booking  # only bench_export.py and bench_booking.py

Each script runs in its own process (its own throwaway database, its own memory figures)
under a wall-clock limit (BENCH_TIMEOUT seconds, default 900), so one stuck benchmark
cannot hang the run. The exit status is non-zero if any script failed or timed out.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    timeout = int(os.environ.get("BENCH_TIMEOUT", "900"))
    scripts = sorted(HERE.glob("bench_*.py"))
    if argv:
        wanted = {f"bench_{name.removeprefix('bench_').removesuffix('.py')}.py" for name in argv}
        scripts = [script for script in scripts if script.name in wanted]
        missing = wanted - {script.name for script in scripts}
        if missing:
            print(f"bench: no such benchmark: {', '.join(sorted(missing))}", file=sys.stderr)
            return 2
    failed = []
    for script in scripts:
        print(f"=== {script.name}", flush=True)
        started = time.monotonic()
        try:
            result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent, timeout=timeout)
            status = "ok" if result.returncode == 0 else f"exit {result.returncode}"
        except subprocess.TimeoutExpired:
            status = f"timed out after {timeout} s"
        if status != "ok":
            failed.append(script.name)
        print(f"=== {script.name}: {status} in {time.monotonic() - started:.1f} s\n", flush=True)
    if failed:
        print(f"bench: failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
