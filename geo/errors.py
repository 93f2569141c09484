"""One base error for the whole product, so the CLI and the dashboard can show it plainly."""

from __future__ import annotations


class WijkmonitorError(Exception):
    """Base class: the message is plain Dutch and says what to do."""


class InputError(WijkmonitorError):
    """Bad input from a user or a file (CLI exit status 2)."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems: list[str] = problems or []

    def __str__(self) -> str:
        head = super().__str__()
        if not self.problems:
            return head
        return head + "\n" + "\n".join(f"  - {p}" for p in self.problems)


class SourceError(WijkmonitorError):
    """A live source (PDOK) could not be reached or gave an unusable answer (CLI exit status 1)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
