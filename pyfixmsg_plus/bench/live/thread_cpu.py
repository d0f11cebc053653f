"""The calling thread's user plus system CPU time over a span of work, beside the span's wall time.

``resource.getrusage(resource.RUSAGE_THREAD)`` (Linux) counts what the kernel did on the thread's behalf (socket
reads and writes) as well as its own Python work, which ``time.thread_time`` counts too but without splitting
the two; where the platform has no per-thread usage the clock reads nothing rather than the whole process's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

try:
    import resource
except ImportError:  # not on Windows
    resource = None  # type: ignore[assignment]


def thread_cpu_seconds() -> float | None:
    """User plus system CPU seconds the calling thread has used so far; None without ``RUSAGE_THREAD``."""
    who = getattr(resource, "RUSAGE_THREAD", None)
    if resource is None or who is None:
        return None
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class ThreadCpuSpan:
    """CPU seconds a thread used over a span, and the span's wall seconds (``time.perf_counter``)."""

    cpu_seconds: float
    wall_seconds: float


@dataclass(frozen=True)
class ThreadCpuClock:
    """Started on the thread to measure; :meth:`stop` must be called on that same thread."""

    cpu_at_start: float | None
    wall_at_start: float

    @classmethod
    def start(cls) -> ThreadCpuClock:
        """Note the calling thread's CPU time and the wall clock now."""
        return cls(thread_cpu_seconds(), time.perf_counter())

    def stop(self) -> ThreadCpuSpan | None:
        """The CPU and wall seconds since :meth:`start`; None where the thread's CPU time cannot be read."""
        wall = time.perf_counter() - self.wall_at_start
        cpu = thread_cpu_seconds()
        if cpu is None or self.cpu_at_start is None:
            return None
        return ThreadCpuSpan(cpu - self.cpu_at_start, wall)


__all__ = ["ThreadCpuClock", "ThreadCpuSpan", "thread_cpu_seconds"]
