"""Natural order of names with numbers."""

from __future__ import annotations

from qadam.core.sorting import natural_key


def test_numbers_in_names_sort_by_value() -> None:
    names = ["Отряд 10", "Отряд 2", "Отряд 1", "Отряд 1а", "отряд 3", "Карантин", "Отряд 21"]
    assert sorted(names, key=natural_key) == [
        "Карантин",
        "Отряд 1",
        "Отряд 1а",
        "Отряд 2",
        "отряд 3",
        "Отряд 10",
        "Отряд 21",
    ]


def test_several_numbers_and_leading_digits() -> None:
    cells = ["2-10", "2-9", "10-1", "2-1", "1"]
    assert sorted(cells, key=natural_key) == ["1", "2-1", "2-9", "2-10", "10-1"]
    # A number sorts before a word at the same place; a plain prefix before a longer name.
    assert sorted(["Б", "5", "А", "А 2", "А"], key=natural_key) == ["5", "А", "А", "А 2", "Б"]


def test_ties_by_case_or_leading_zeros_have_a_fixed_order() -> None:
    assert sorted(["Отряд 01", "Отряд 1"], key=natural_key) == ["Отряд 01", "Отряд 1"]
    assert sorted(["Отряд 1", "Отряд 01"], key=natural_key) == ["Отряд 01", "Отряд 1"]
    assert sorted(["b", "B"], key=natural_key) == ["B", "b"]


def test_only_ascii_digits_are_numbers() -> None:
    # Superscripts and other digits are text: no error, a fixed place.
    assert sorted(["м²", "м2", "м1"], key=natural_key) == ["м1", "м2", "м²"]
    assert natural_key("") == ((), "")
