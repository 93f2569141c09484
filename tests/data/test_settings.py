"""WIJKMONITOR_CACHE_MB: the dashboard's memory budget for published tables, in megabytes."""

from __future__ import annotations

import pytest

from data.settings import MIN_CACHE_MB, Settings, SettingsError, from_env


def test_the_budget_has_a_default_and_reads_megabytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WIJKMONITOR_CACHE_MB", raising=False)
    assert from_env().cache_mb == Settings().cache_mb == 1024
    monkeypatch.setenv("WIJKMONITOR_CACHE_MB", " 2_048 ")
    assert from_env().cache_mb == 2048
    monkeypatch.setenv("WIJKMONITOR_CACHE_MB", str(MIN_CACHE_MB))
    assert from_env().cache_mb == MIN_CACHE_MB


@pytest.mark.parametrize("value", ["", "veel", "1GB", "1024 MB", "-5", "0", "1,5", "63"])
def test_a_bad_budget_is_refused_in_dutch(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("WIJKMONITOR_CACHE_MB", value)
    with pytest.raises(SettingsError) as refused:
        from_env()
    message = str(refused.value)
    assert message.startswith(f"WIJKMONITOR_CACHE_MB={value!r}")
    assert "megabyte" in message and f"{MIN_CACHE_MB} of meer" in message
