"""``bridge eval``: how well restyled audio hits its target and keeps its melody."""

from __future__ import annotations


def add_eval_args(p) -> None:
    p.add_argument("--work", default="eval", help="folder for rendered references, the classifier and results")


def eval_command(args) -> int:
    raise NotImplementedError("bridge eval is being written")
