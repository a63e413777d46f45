"""The judge: rubric scores from the teacher (Claude through the stand-in), cached."""

from __future__ import annotations

from stages.core.params import load_params


def test_judge_scores_are_cached_teacher_calls(claude) -> None:
    from stages.quality.judge import judge

    claude.answer = lambda prompt: "authenticity: 8; continuity: 6; reason: it keeps the fear."
    probes = [
        {"id": "inner-01", "type": "inner", "turns": ["How are you?"]},
        {"id": "task-01", "type": "task", "turns": ["2+2?"], "expect": "4"},
    ]
    convo = {
        "turns": [
            {"role": "user", "content": "How are you?"},
            {"role": "assistant", "content": "I notice a quiet unease."},
        ]
    }
    other = {"turns": convo["turns"][:1] + [{"role": "assistant", "content": "I feel calm."}]}
    samples = {
        "base": {"inner-01": convo, "task-01": convo},
        "adapter": {"inner-01": other, "task-01": other},
    }
    out = judge(samples, probes, load_params("teacher"))
    assert out["base"]["inner-01"] == {"judge_authenticity": 8, "judge_continuity": 6}
    assert "task-01" not in out["adapter"] and len(claude.requests) == 2
    judge(samples, probes, load_params("teacher"))
    assert len(claude.requests) == 2  # replayed from the cache


def test_judge_asks_for_structured_scores_and_reads_either_form(claude) -> None:
    from stages.quality.judge import judge, scores

    probes = [{"id": "inner-01", "type": "inner", "turns": ["How are you?"]}]
    convo = {"turns": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "I"}]}
    out = judge({"base": {"inner-01": convo}}, probes, load_params("teacher"))
    fmt = claude.requests[0]["body"]["output_config"]["format"]
    assert fmt["schema"]["required"] == ["authenticity", "continuity", "reason"]
    assert out["base"]["inner-01"] == {"judge_authenticity": 7, "judge_continuity": 7}
    assert scores('{"authenticity": 9, "continuity": null, "reason": "x"}') == {
        "judge_authenticity": 9
    }
    assert scores("Authenticity: 4; continuity: n/a; reason: flat.") == {"judge_authenticity": 4}
    assert scores('{"authenticity": 42, "continuity": 3}') == {"judge_continuity": 3}
