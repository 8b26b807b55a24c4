"""Facts: labels and values in two columns, always at least 2 spaces apart."""

from __future__ import annotations

from rich.console import Console

from widgets.facts import Facts


def lines(facts: Facts, width: int = 60) -> list[str]:
    console = Console(width=width, record=True, color_system=None)
    console.print(facts.content)
    return [line.rstrip() for line in console.export_text().splitlines()]


def test_a_label_as_long_as_the_column_still_has_two_spaces_before_its_value():
    facts = Facts([("Organization", "[bold]Acme[/] Corp"), ("Seats in use", "1 of 1")], label_width=12)
    assert lines(facts)[:2] == ["Organization  [bold]Acme[/] Corp", "Seats in use  1 of 1"]


def test_values_start_at_label_width_plus_one_when_the_labels_are_short():
    assert lines(Facts([("Email", "a@b.c")], label_width=17))[0] == "Email" + " " * 13 + "a@b.c"
