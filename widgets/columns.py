"""Which table columns fit a width: the least important ones go first, never a cut cell."""

from __future__ import annotations

from rich.cells import cell_len


def columns_that_fit(headers: list[str], rows: list[tuple[str, ...]], priorities: list[int], width: int,
                     gap: int = 2) -> list[int]:
    """Indexes of the columns to show, in their order. A column needs as many cells as its
    widest value (header included) plus `gap`; while the sum is over `width`, the column
    with the highest priority number goes (the last of equals first). One column always stays."""
    needs = [max([cell_len(headers[i])] + [cell_len(row[i]) for row in rows]) + gap for i in range(len(headers))]
    kept = list(range(len(headers)))
    while len(kept) > 1 and sum(needs[i] for i in kept) > width:
        drop = max(kept, key=lambda i: (priorities[i], i))
        kept.remove(drop)
    return kept
