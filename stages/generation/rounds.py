"""Jobs advance in rounds: each round's requests go to the teacher together (one batch),
and every answer is fed back to its job before the next round is asked."""

from __future__ import annotations

from stages.generation.jobs import Job
from stages.teacher.client import BudgetExceeded, Teacher


def run_rounds(jobs: list[Job], teacher: Teacher) -> tuple[int, str | None]:
    """Ask until every job has ended: (rounds run, why the budget stopped it, or None)."""
    rounds = 0
    while True:
        pending = {job: req for job in jobs if (req := job.next_request()) is not None}
        if not pending:
            return rounds, None
        rounds += 1
        try:
            answers = teacher.ask(pending.values())
        except BudgetExceeded as exc:
            return rounds, str(exc)
        for job, req in pending.items():
            job.feed(req, answers[req])
