"""``bridge bench``: real-time factor and latency, measured side by side in one run."""

from __future__ import annotations


def add_bench_args(p) -> None:
    p.add_argument("--serve", action="store_true", help="stream to a real daemon instead of timing transfer")


def bench_command(args) -> int:
    raise NotImplementedError("bridge bench is being written")
