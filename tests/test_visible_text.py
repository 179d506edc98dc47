"""Invisible and direction-changing characters are shown as tokens, everything else is left alone."""

from __future__ import annotations

import pytest

from appaudit.report.visible_text import is_hidden_character, visible


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("evil\u202egnp.exe", "evil⟨U+202E⟩gnp.exe"),
        ("a\u2066b\u2069c", "a⟨U+2066⟩b⟨U+2069⟩c"),
        ("pay\u200bpal", "pay⟨U+200B⟩pal"),
        ("\ufeffBOM", "⟨U+FEFF⟩BOM"),
        ("bell\x07 esc\x1b[31m", "bell⟨U+0007⟩ esc⟨U+001B⟩[31m"),
        ("c1\x85", "c1⟨U+0085⟩"),
    ],
)
def test_hidden_characters_become_visible_tokens(raw: str, shown: str) -> None:
    assert visible(raw) == shown


@pytest.mark.parametrize(
    "text",
    ["隐私政策 <script>&\"'", "tab\tand\nnewline\r", "emoji 👩\u200d💻 joiner", "عربي", "שלום", "", "Ａ全角"],
)
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert visible(text) == text


def test_rendered_report_never_carries_a_raw_override() -> None:
    from appaudit.report.html import _finalize

    assert _finalize("x\u202ey") == "x⟨U+202E⟩y"
    assert _finalize(3) == 3
    assert is_hidden_character("\u202e") and not is_hidden_character("a")
