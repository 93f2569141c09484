"""AppTest runs the dashboard as ``wijkmonitor serve`` starts it by default: on 127.0.0.1.

The demo login checks the address the server listens on (``server.address``); outside a
server Streamlit has none, which counts as "every interface" and refuses the demo login.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit import config


@pytest.fixture(autouse=True)
def served_on_localhost() -> Iterator[None]:
    before = config.get_option("server.address")
    config.set_option("server.address", "127.0.0.1")
    yield
    config.set_option("server.address", before)
