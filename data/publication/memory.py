"""A memory budget in bytes for published tables kept in a server process.

A count of tables is no bound: one national indicator table is about 200 MB, a gemeente's
under 1 MB. ``TableMemory`` keeps values with their size and drops the least recently used
when the total would pass the budget; what is dropped is read again from the database (the
stored publication, ``data.publication.cache``) or computed again, never lost.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

import pandas as pd

T = TypeVar("T")


def size_of(value: object) -> int:
    """Bytes held by ``value``: frames counted deeply (their text too), tuples and dataclasses
    (``Published``: table and groups) summed over their parts, Plotly figures by their JSON;
    anything else by its own header only (the shared memory or the engine a publication points
    to is not its own)."""
    if isinstance(value, pd.DataFrame):
        return int(value.memory_usage(index=True, deep=True).sum())
    if isinstance(value, pd.Series):
        return int(value.memory_usage(index=True, deep=True))
    if isinstance(value, tuple | list):
        return sum(size_of(v) for v in value) + sys.getsizeof(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        parts = (getattr(value, f.name) for f in dataclasses.fields(value))
        return sum(size_of(v) for v in parts) + sys.getsizeof(value)
    if hasattr(value, "nbytes"):
        return int(value.nbytes)
    to_json = getattr(value, "to_json", None)
    if hasattr(value, "to_plotly_json") and callable(to_json):  # a chart beside the tables
        return len(to_json())
    return sys.getsizeof(value)


class TableMemory:
    """A thread-safe least-recently-used store with a budget in bytes, shared by the sessions
    of one server process.

    A value larger than the whole budget is returned but not kept. ``bytes`` is the total of
    what is kept, as ``size_of`` counts it.
    """

    def __init__(self, budget_bytes: int) -> None:
        if budget_bytes < 1:
            raise ValueError("budget_bytes must be positive")
        self.budget_bytes = budget_bytes
        self.bytes = 0
        self._items: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._making: dict[Hashable, threading.Lock] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def get(self, key: Hashable) -> object | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, value: object, size: int | None = None) -> None:
        size = size_of(value) if size is None else size
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            if size > self.budget_bytes:
                return
            self._items[key] = (value, size)
            self.bytes += size
            while self.bytes > self.budget_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self.bytes -= dropped

    def get_or_make(self, key: Hashable, make: Callable[[], T]) -> T:
        """The kept value, or ``make()`` kept and returned; concurrent callers of one key wait
        for the first instead of making it too (30 visitors opening the same map)."""
        found = self.get(key)
        if found is not None:
            return found  # type: ignore[return-value]
        with self._lock:
            gate = self._making.setdefault(key, threading.Lock())
        with gate:
            found = self.get(key)
            if found is None:
                found = make()
                self.put(key, found)
        with self._lock:
            self._making.pop(key, None)
        return found  # type: ignore[return-value]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = 0
