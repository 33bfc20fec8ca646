"""Settings of the whole test session."""

import os


def pytest_xdist_auto_num_workers(config) -> int:
    """``-n auto`` (the README's test command): one worker more than the CPUs this process may
    use. A browser test spends part of its time waiting on other processes (its app server,
    chromium), and the extra worker runs a test in those waits. On 2 CPUs the whole suite took
    277 s with 3 workers against 307-327 s with 2, the CPUs 98% busy."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cpus or 1) + 1
