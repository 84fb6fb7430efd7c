"""Citations and terms in plain words, in the reader's language."""

from __future__ import annotations

import pytest
from django.utils import translation

from qadam.sentences.texts import citation_words


@pytest.mark.parametrize(
    ("citation", "words"),
    [
        ("CC art. 72 part 3", "Criminal Code, article 72, part 3"),
        ("CC art. 72 part 1 item 4", "Criminal Code, article 72, part 1, item 4"),
        ("CC art. 72 part 1 items 3-5", "Criminal Code, article 72, part 1, item 3-5"),
        ("PEC art. 96 part 2 item 2", "Penal Enforcement Code, article 96, part 2, item 2"),
        ("PEC art. 150", "Penal Enforcement Code, article 150"),
        ("Law of 2021", "Law of 2021"),
    ],
)
def test_citations_in_words(citation: str, words: str) -> None:
    assert citation_words(citation) == words


def test_no_english_left_in_a_russian_citation() -> None:
    with translation.override("ru"):
        text = citation_words("PEC art. 96 part 2 item 2")
    assert "item" not in text
    assert "part" not in text
