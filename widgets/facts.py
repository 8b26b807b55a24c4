"""Label/value pairs in two aligned columns; values are always plain text.

Values start at column `label_width + 1` (so facts can line up with a form's inputs),
or further right when a label is longer: always at least 2 spaces after the labels; long values
(emails, paths) wrap rather than being cut.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

GAP = 2


class Facts(Static):
    DEFAULT_CSS = """
    Facts {
        height: auto;
    }
    """

    def __init__(self, rows: list[tuple[str, str]] | None = None, *, label_width: int = 16,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes)
        self.label_width = label_width
        self.rows: list[tuple[str, str]] = []
        if rows:
            self.set_rows(rows)

    def set_rows(self, rows: list[tuple[str, str]]) -> None:
        self.rows = [(label, str(value)) for label, value in rows]
        width = max([self.label_width + 1 - GAP, *(len(label) for label, _ in self.rows)])
        grid = Table.grid(padding=(0, GAP))
        grid.add_column(width=width, style="dim", no_wrap=True)
        grid.add_column(ratio=1, overflow="fold")
        for label, value in self.rows:
            grid.add_row(Text(label), Text(value))
        self.update(grid)
