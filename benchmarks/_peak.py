"""Run manage.py with the given arguments and print this process's peak resident memory.

The kernel's per-process high-water mark (VmHWM) starts afresh at exec, unlike the
rusage a parent gets from wait4, which also counts what the parent held when it forked.
"""

import atexit
import runpy
import sys
from pathlib import Path


def _report() -> None:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            print(f"peak-rss-kb {line.split()[1]}", file=sys.stderr)


ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)
atexit.register(_report)
sys.argv = ["manage.py", *sys.argv[1:]]
runpy.run_path(str(ROOT / "manage.py"), run_name="__main__")
