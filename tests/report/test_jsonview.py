"""Side-by-side evidence: which lines of a pretty-printed body are highlighted, and how it is cut."""

from __future__ import annotations

import re

from report_samples import message

from chatmigrate.report import jsonview


def highlighted(value: object, path: str | None, *others: object, max_chars: int = 100_000) -> list[str]:
    target = jsonview.locate(path, value, *others)
    markup = jsonview.render(value, target, max_chars).markup
    return [line.strip() for line in re.findall(r'<span class="hl">(.*?)</span>', str(markup))]


def test_diff_notation_path_highlights_that_value_only() -> None:
    body = {"messages": [message(1, "a"), message(2, "b")], "count": 2}
    assert highlighted(body, "$.messages[1].message") == ['"message": "b",']


def test_json_pointer_path_highlights_that_value_only() -> None:
    body = {"messages": [message(1, "a"), message(2, "b")], "count": 2}
    assert highlighted(body, "/messages/0/message") == ['"message": "a",']


def test_item_id_segment_finds_the_item_wherever_it_sits() -> None:
    body = {"messages": [message(5, "a"), message(7, "b")]}
    assert highlighted(body, "$.messages[id=7].message") == ['"message": "b",']


def test_quoted_key_segment_is_understood() -> None:
    body = {"odd key": 1, "plain": 2}
    assert highlighted(body, '$["odd key"]') == ['"odd key": 1,']


def test_value_at_the_path_is_highlighted_whole() -> None:
    assert highlighted("hello", "$.messages[0].message", "bye") == ['"hello"']


def test_missing_key_in_a_whole_body_highlights_nothing() -> None:
    old = {"messages": [], "count": 0}
    new = {"purchases": [], "count": 0}
    assert highlighted(new, "$.messages", old) == []


def test_no_path_highlights_nothing() -> None:
    assert highlighted({"a": 1}, None) == []


def test_long_bodies_are_cut_around_the_first_highlight() -> None:
    body = {"messages": [message(n, f"text {n}") for n in range(200)]}
    snippet = jsonview.render(body, jsonview.locate("$.messages[150].message", body), 2_000)
    text = str(snippet.markup)
    assert snippet.truncated
    assert "line(s) above" in text and "more line(s)" in text
    assert '"text 150"' in text
    assert len(text) < 4_000


def test_markup_in_values_is_escaped() -> None:
    markup = str(jsonview.render({"html": "<script>x()</script>"}, None, 1_000).markup)
    assert "<script>" not in markup
    assert "&lt;script&gt;" in markup
