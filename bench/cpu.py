"""Where a benchmark's CPU went, from /proc: the machine as a whole and named groups of processes.

Linux only; processes that started and ended between two snapshots are not seen (their time
lands in "everything else").
"""

from __future__ import annotations

import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy seconds, total seconds) summed over every core since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal
    idle = fields[3] + fields[4]
    return (total - idle) / TICK, total / TICK


def processes() -> dict[int, tuple[int, str, float, str]]:
    """pid → (parent pid, name, CPU seconds used, command line)."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        rest = stat[stat.rindex(")") + 2 :].split()
        out[int(entry.name)] = (int(rest[1]), name, (int(rest[11]) + int(rest[12])) / TICK, cmdline)
    return out


def descendants(procs: dict, roots: set[int]) -> set[int]:
    found, frontier = set(roots), set(roots)
    while frontier:
        frontier = {pid for pid, p in procs.items() if p[0] in frontier} - found
        found |= frontier
    return found


class CpuWindow:
    """CPU seconds per group between ``start()`` and ``stop()``.

    ``groups`` maps a label to a function of the process table returning that group's pids;
    everything else is reported by command name (other people's work on a shared machine).
    """

    def __init__(self, groups: dict):
        self.groups = groups

    def start(self) -> None:
        self.before, self.busy_before = processes(), machine_busy()

    def stop(self) -> None:
        self.after, self.busy_after = processes(), machine_busy()

    def report(self, seconds: float) -> list[str]:
        def used(pid):
            was = self.before.get(pid)
            return self.after[pid][2] - (was[2] if was and was[1] == self.after[pid][1] else 0)

        busy = self.busy_after[0] - self.busy_before[0]
        cores = os.cpu_count() or 1
        lines = [
            f"machine      {cores} cores, busy {busy / seconds / cores:.0%} of them during the "
            f"window ({busy:.0f} CPU-s of {seconds * cores:.0f}); load average "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end"
        ]
        seen: set[int] = set()
        parts = []
        for label, select in self.groups.items():
            pids = select(self.after) - seen
            seen |= pids
            parts.append(f"{label} {sum(used(p) for p in pids):.0f}")
        lines.append("CPU-s        " + ", ".join(parts))
        others: dict[str, float] = {}
        for pid, p in self.after.items():
            if pid not in seen:
                key = "PostgreSQL (other databases)" if p[1] == "postgres" else p[3][:70]
                key = key.strip() or f"[{p[1]}]"
                others[key] = others.get(key, 0.0) + used(pid)
        top = sorted(others.items(), key=lambda kv: -kv[1])[:4]
        counted = sum(used(p) for p in seen) + sum(others.values())
        lines.append(
            "other work   "
            + "; ".join(f"{name} {s:.0f}" for name, s in top if s >= 0.5)
            + f"; processes that came and went {max(0.0, busy - counted):.0f} CPU-s"
        )
        return lines
