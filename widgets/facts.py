"""Label/value pairs in two aligned columns; values are always plain text."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static


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
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=self.label_width, style="dim", no_wrap=True)
        grid.add_column(ratio=1)
        for label, value in rows:
            grid.add_row(Text(label), Text(str(value)))
        self.update(grid)
