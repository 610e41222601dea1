"""Tables that never cut an identifier: cells wrap on a terminal, piped output widens.

Rich's default is to end a cell that does not fit with an ellipsis. A release engineer copies
digests, requirement ids and roll-out ids out of these tables, so a cut one is worse than a
wide table: every column folds its text onto further lines instead, and output that goes to a
file or pipe is printed as wide as its longest row.

Imported only inside command bodies (rich is not needed for ``--help``).
"""

from __future__ import annotations

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from edgedeploy.entrypoints.cli.context import CliState

STATUS_STYLE = {"normal": "green", "watch": "cyan", "warning": "yellow", "critical": "bold red"}
ASIL_STYLE = {"QM": "dim", "A": "green", "B": "yellow", "C": "dark_orange", "D": "bold red"}


def new_table(title: str | None, *columns: str) -> Table:
    """A table whose columns fold long text onto more lines rather than cutting it."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def print_table(console: Console, table: Table) -> None:
    """Print ``table``; where output is not a terminal, as wide as its content needs."""
    if console.is_terminal:
        console.print(table)
        return
    # Console.print never renders wider than the console, so a wider one writes this table.
    needed = Measurement.get(console, console.options.update_width(10**6), table).maximum
    wide = Console(file=console.file, width=max(console.width, needed), no_color=console.no_color)
    wide.print(table)


def show(state: CliState, table: Table) -> None:
    """Print ``table`` on the state's stdout console."""
    print_table(state.console, table)


def yes_no(flag: bool) -> Text:
    """A coloured yes/no cell."""
    return Text("yes", style="green") if flag else Text("no", style="red")


__all__ = ["ASIL_STYLE", "STATUS_STYLE", "new_table", "print_table", "show", "yes_no"]
