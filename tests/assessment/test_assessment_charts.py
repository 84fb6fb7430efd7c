"""The server-rendered SVG charts: labels that fit, the whole text kept, values signed."""

from __future__ import annotations

import re

from qadam.assessment.charts import LABEL_CHARS, Bar, contribution_chart


def test_long_labels_wrap_at_words_on_two_lines_and_keep_the_whole_text() -> None:
    long = "Оқу бағдарламаларын аяқтағаны (соңғы алты айда) және кәсіптік білімі"
    svg = str(contribution_chart([Bar(long, -2), Bar("Жасы", 3)], title="t", description="d"))
    first_label = svg.split("<text")[1]
    lines = re.findall(r"<tspan[^>]*>([^<]*)</tspan>", first_label)
    assert len(lines) == 2
    assert all(len(line) <= LABEL_CHARS for line in lines)
    assert lines[0] == "Оқу бағдарламаларын"
    assert lines[1].endswith("…")
    assert f"<title>{long}</title>" in svg
    assert "−2" in svg
    assert "+3" in svg


def test_short_labels_stay_on_one_line_in_compact_rows() -> None:
    svg = str(contribution_chart([Bar("Жасы", 3), Bar("Жұмыс", -1)], title="t", description="d"))
    assert svg.count("<tspan") == 2
    assert 'height="64"' in svg  # two rows of 24 px and the margins
