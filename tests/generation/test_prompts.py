"""Prompts and answers: the JSON object is found where teachers put it."""

from __future__ import annotations

import pytest

KEY = "sk-ant-standin-secret-4242"


@pytest.mark.parametrize(
    "answer, expected",
    [
        ('{"turns": []}', {"turns": []}),
        ('Here it is:\n```json\n{"turns": [1]}\n```\nA note {with braces}.', {"turns": [1]}),
        ('Sure {of course}:\n```\n{"turns": [2]}\n```', {"turns": [2]}),
        ("no object at all", "no JSON object"),
        ('{"turns": [{"role": "user"}, {"role": ', "invalid JSON"),  # cut off: never the inner
    ],
)
def test_the_json_object_is_found_where_teachers_put_it(answer: str, expected) -> None:
    from stages.generation.prompts import parse_json_object

    if isinstance(expected, dict):
        assert parse_json_object(answer) == expected
    else:
        with pytest.raises(ValueError, match=expected):
            parse_json_object(answer)
