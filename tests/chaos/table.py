"""The table the chaos suite prints at the end: one row per fault, and what explains it
(restarts by the supervisor, dead letters, problems the ledger found)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.chaos.closes import CloseRow
from tests.chaos.ledger import Row

COLUMNS = (
    "fault",
    "sent",
    "acknowledged",
    "stored",
    "delivered",
    "lost",
    "duplicated",
    "disordered",
    "restarts",
    "dead letters",
    "acked again after",
    "closes told",
)
# Problems listed per fault at most: the first ones say what went wrong, the rest are the same.
MAX_PROBLEMS_SHOWN = 10


@dataclass
class FaultTable:
    rows: list[tuple[Row, Counter[str], int, CloseRow | None]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(
        self, row: Row, restarts: Counter[str], new_dead_letters: int, notes: list[str], closes: CloseRow | None = None
    ) -> None:
        """``closes``: the phase's closes in flight (None: a fleet that ran none)."""
        self.rows.append((row, restarts, new_dead_letters, closes))
        self.notes += [f"{row.fault}: {note}" for note in notes]
        self.notes += [f"{row.fault}: {problem}" for problem in row.problems[:MAX_PROBLEMS_SHOWN]]
        if len(row.problems) > MAX_PROBLEMS_SHOWN:
            self.notes.append(f"{row.fault}: ... and {len(row.problems) - MAX_PROBLEMS_SHOWN} more problems")

    def render(self) -> str:
        lines = [self._cells(row, restarts, dead, closes) for row, restarts, dead, closes in self.rows]
        widths = [max(len(COLUMNS[i]), *(len(line[i]) for line in lines)) for i in range(len(COLUMNS))]
        out = [_line(COLUMNS, widths), _line(tuple("-" * w for w in widths), widths)]
        out += [_line(line, widths) for line in lines]
        return "\n".join(out + (["", *self.notes] if self.notes else []))

    @staticmethod
    def _cells(row: Row, restarts: Counter[str], dead: int, closes: CloseRow | None) -> tuple[str, ...]:
        restarted = ", ".join(f"{name} x{count}" for name, count in sorted(restarts.items())) or "-"
        numbers = (row.sent, row.acknowledged, row.stored, row.delivered, row.lost, row.duplicated, row.disordered)
        whole = "-" if row.whole_after is None else f"{row.whole_after:.1f} s"
        told = "-" if closes is None else f"{closes.told}/{closes.acknowledged}"
        return (row.fault, *(str(n) for n in numbers), restarted, str(dead), whole, told)


def _line(cells: tuple[str, ...], widths: list[int]) -> str:
    first = cells[0].ljust(widths[0])
    return " | ".join([first, *(cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))])


TABLE = FaultTable()


def write_table(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TABLE.render() + "\n")
    return path
