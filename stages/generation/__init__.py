"""Generation: templates x passages -> jobs that ask a teacher and assemble examples.

Reading order: config (the typed settings a run needs) -> prompts (what is sent, and the
cleanup of what comes back) -> jobs (one example in the making: whole-example or turn-by-turn
state machines) -> rounds (jobs advance together, so each round goes to the teacher as one
batch) -> records (the rows generate writes: examples, gold examples, quarantine, failures,
requests). Used by the generate stage and the estimate command.
"""
