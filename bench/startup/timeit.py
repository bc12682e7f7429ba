"""Times commands by spawning each RUNS times, round-robin so that a change in
the machine's load hits all of them alike, and prints per command the median
and minimum wall time and the median CPU time (user + system) of the child.

    python3 bench/startup/timeit.py RUNS CMD [ARG...] [';;' CMD [ARG...]]...
"""
import os
import statistics
import sys
import time

runs = int(sys.argv[1])
commands, current = [], []
for arg in sys.argv[2:]:
    if arg == ";;":
        commands.append(current)
        current = []
    else:
        current.append(arg)
commands.append(current)

devnull = os.open(os.devnull, os.O_WRONLY)
quiet = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
wall = [[] for _ in commands]
cpu = [[] for _ in commands]
warmup = 3
for run in range(warmup + runs):
    for i, command in enumerate(commands):
        start = time.perf_counter()
        pid = os.posix_spawnp(command[0], command, os.environ, file_actions=quiet)
        _, status, usage = os.wait4(pid, 0)
        elapsed = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"{' '.join(command)} failed")
        if run >= warmup:
            wall[i].append(elapsed * 1e3)
            cpu[i].append((usage.ru_utime + usage.ru_stime) * 1e3)

print(f"| command | median | min | CPU (median) |\n| --- | --- | --- | --- |")
for command, w, c in zip(commands, wall, cpu):
    print(f"| `{' '.join(command)}` | {statistics.median(w):.1f} ms | {min(w):.1f} ms | {statistics.median(c):.1f} ms |")
