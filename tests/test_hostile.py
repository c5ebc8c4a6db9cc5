"""The fuzz tests' check (tests/hostile.py) finds markup made from input, and only that."""

from tests.hostile import PAYLOADS, form_body, injected_markup


def test_unescaped_payloads_are_found():
    for payload in PAYLOADS[:5]:
        page = f"<main><p>{payload}</p></main>"
        assert injected_markup(page), payload


def test_a_breakout_from_an_attribute_value_is_found():
    assert injected_markup('<input value="" data-fuzz="x">') == ["attribute data-fuzz on <input>"]


def test_escaped_payloads_are_text():
    from django.utils.html import escape

    page = "".join(
        f'<input value="{escape(p)}"><textarea>{escape(p)}</textarea><p>{escape(p)}</p>'
        for p in PAYLOADS
    )
    assert injected_markup(page) == []


def test_a_lone_surrogate_is_sent_as_the_bytes_an_attacker_can_send():
    assert form_body({"name": "a\ud800"}) == b"name=a%ED%A0%80"
