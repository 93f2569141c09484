"""neutralise: formula-like text is defused, genuine numbers and other values are kept."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from data.cells import neutralise


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("http://x.example","klik")',
        "+31 77 123",
        "-2+3",
        "@SUM(A1)",
        "\t=1+1",
        "\r=1",
        "=1",
        "-",
        "+",
        "- Klingerberg",
        "-1,2,3",
        "-.5",
    ],
)
def test_formula_like_text_gets_an_apostrophe(value: str) -> None:
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["-12", "-12,5", "+3.5", "-1.234,5", "-0.25", "1e-3", "-4E+2"])
def test_genuine_numbers_stay(value: str) -> None:
    assert neutralise(value) == value


@pytest.mark.parametrize("value", [None, 3, -4.5, date(2024, 1, 1), "Klingerberg", "", "x=1"])
def test_other_values_stay(value: object) -> None:
    assert neutralise(value) == value


@given(st.text())
def test_no_text_comes_out_starting_with_a_trigger_unless_a_number(value: str) -> None:
    out = neutralise(value)
    assert isinstance(out, str)
    assert out == value or out == "'" + value
    if out.startswith(("=", "+", "-", "@", "\t", "\r")):
        float(out.replace(".", "").replace(",", "."))  # only a number may
