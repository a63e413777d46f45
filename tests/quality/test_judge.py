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
    used: set[str] = set()
    out = judge(samples, probes, load_params("teacher"), used)
    assert out["base"]["inner-01"] == {"judge_authenticity": 8, "judge_continuity": 6}
    assert "task-01" not in out["adapter"] and len(claude.requests) == 2 and len(used) == 2
    judge(samples, probes, load_params("teacher"), set())
    assert len(claude.requests) == 2  # replayed from the cache


def test_judge_asks_for_structured_scores_and_reads_either_form(claude) -> None:
    from stages.quality.judge import judge, scores

    probes = [{"id": "inner-01", "type": "inner", "turns": ["How are you?"]}]
    convo = {"turns": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "I"}]}
    out = judge({"base": {"inner-01": convo}}, probes, load_params("teacher"), set())
    fmt = claude.requests[0]["body"]["output_config"]["format"]
    assert fmt["schema"]["required"] == ["authenticity", "continuity", "reason"]
    assert out["base"]["inner-01"] == {"judge_authenticity": 7, "judge_continuity": 7}
    assert scores('{"authenticity": 9, "continuity": null, "reason": "x"}') == {
        "judge_authenticity": 9
    }
    assert scores("Authenticity: 4; continuity: n/a; reason: flat.") == {"judge_authenticity": 4}
    assert scores('{"authenticity": 42, "continuity": 3}') == {"judge_continuity": 3}


def test_judge_labels_replies_with_the_guide_and_is_scored_like_the_detectors(claude) -> None:
    """The judge labels held-out replies (the guide as system prompt, structured output);
    its agreement comes out of the same report as the detectors'."""
    import json

    from stages.quality.detectors import report
    from stages.quality.judge import judge_labels, labels_in

    items = [
        {
            "id": "a",
            "prompt": "How are you?",
            "response": "Does that make sense?",
            "labels": ["validation_seeking", "coherent"],
        },
        {
            "id": "b",
            "prompt": "How are you?",
            "response": "Quiet, and a bit slow today.",
            "labels": ["experiential", "coherent"],
        },
    ]
    claude.answer = lambda prompt: json.dumps(
        {
            "labels": ["validation_seeking", "coherent"]
            if "Reply: Does that make sense" in prompt
            else ["coherent"]
        }
    )
    given = judge_labels(items, load_params("teacher"), set())
    body = claude.requests[0]["body"]
    assert "Labelling guide" in json.dumps(body["system"])
    assert body["output_config"]["format"]["schema"]["required"] == ["labels"]
    assert given == {"a": {"validation_seeking", "coherent"}, "b": {"coherent"}}
    card = report([True, False], [float("validation_seeking" in given[i["id"]]) for i in items])
    assert card["accuracy"] == 1.0
    experiential = [float("experiential" in given[i["id"]]) for i in items]
    assert report([False, True], experiential)["recall"] == 0.0
    assert labels_in("I'd say explaining, and maybe coherent.") == {"explaining", "coherent"}
