"""The memory budget of a dashboard process: a size in bytes, least recently used first, and
the same published rows whatever the budget."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pandas as pd
import pytest

from data import db
from data.publication.memory import TableMemory, size_of
from data.publication.read import open_publication


def _frame(rows: int) -> pd.DataFrame:
    return pd.DataFrame({"code": [f"BU{i:08d}" for i in range(rows)], "waarde": range(rows)})


def test_frames_are_sized_with_their_text() -> None:
    frame = _frame(1000)
    assert size_of(frame) >= 1000 * (len("BU00000000") + 8)  # the codes' text and the numbers
    assert size_of(frame.astype({"code": object})) >= 1000 * (len("BU00000000") + 8)
    assert size_of((frame, frame)) >= 2 * size_of(frame)


def test_a_chart_kept_beside_the_tables_is_sized_by_what_it_holds() -> None:
    """The dashboard keeps Plotly figures in the same budget: a figure of 1.000 points holds at
    least their 16 kB of numbers, not the 56 bytes of an object header."""
    import plotly.graph_objects as go

    figure = go.Figure(
        go.Scatter(x=[float(i) for i in range(1000)], y=[i / 3 for i in range(1000)])
    )
    assert size_of(figure) >= 1000 * 2 * 8
    assert size_of((figure,)) >= size_of(figure)


class Untouchable:
    """A value another session is changing: reading it through pickle fails."""

    def __reduce__(self) -> str:
        raise RuntimeError("OrderedDict mutated during iteration")


@dataclass
class Holder:
    """Like a ClusterPublication: its own table, and the server's shared memory."""

    table: pd.DataFrame
    memory: TableMemory


def test_a_publication_does_not_count_the_shared_memory_it_points_to() -> None:
    """A publication kept in the budget holds the budget itself: counting (or pickling) what
    that holds made every 'put' as slow as the whole cache, and failed while another session
    changed it (bench/load.py --nationaal: 'OrderedDict mutated during iteration')."""
    memory = TableMemory(budget_bytes=10**9)
    memory.put("groot", _frame(10_000))
    memory.put("in gebruik", Untouchable(), size=1)
    holder = Holder(_frame(10), memory)
    assert size_of(_frame(10)) <= size_of(holder) < size_of(_frame(10_000))


def test_the_least_recently_used_goes_when_the_budget_is_passed() -> None:
    one = size_of(_frame(100))
    memory = TableMemory(budget_bytes=3 * one)
    for key in "abc":
        memory.put(key, _frame(100))
    assert memory.get("a") is not None  # a is now the most recent
    memory.put("d", _frame(100))
    assert "b" not in memory and {"a", "c", "d"} <= {k for k in "abcd" if k in memory}
    assert memory.bytes == 3 * one <= memory.budget_bytes


def test_a_value_larger_than_the_budget_is_returned_not_kept() -> None:
    memory = TableMemory(budget_bytes=1000)
    made = memory.get_or_make("groot", lambda: _frame(10_000))
    assert len(made) == 10_000
    assert "groot" not in memory and memory.bytes == 0


def test_concurrent_visitors_make_a_table_once() -> None:
    memory = TableMemory(budget_bytes=10**8)
    calls = []

    def make() -> pd.DataFrame:
        calls.append(1)
        time.sleep(0.05)
        return _frame(10)

    threads = [threading.Thread(target=memory.get_or_make, args=("kaart", make)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and len(memory) == 1


def test_a_small_budget_publishes_the_same_rows(demo_url: str) -> None:
    engine = db.make_engine(demo_url)
    indicators = ["illegale_bewoning", "controles", "illegale_bewoning_per_controle"]
    plain = open_publication(engine, gemeenten=["GM0983"], indicators=indicators)
    small = TableMemory(budget_bytes=size_of(plain.published("controles")) + 1)
    tight = open_publication(engine, gemeenten=["GM0983"], indicators=indicators, memory=small)
    for code in [*indicators, "illegale_bewoning"]:
        pd.testing.assert_frame_equal(
            tight.rows(code, gemeenten=["GM0983"]), plain.rows(code, gemeenten=["GM0983"])
        )
        assert small.bytes <= small.budget_bytes
    assert len(small) <= 1


@pytest.mark.parametrize("budget", [0, -1])
def test_the_budget_is_positive(budget: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        TableMemory(budget_bytes=budget)
