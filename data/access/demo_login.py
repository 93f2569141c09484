"""When the passwordless demo login may be used: a demo database, served on localhost only.

Both ``wijkmonitor serve --demo-login`` and the dashboard ask this on every start and every
run: a variable in the environment is a request, never a permission.
"""

from __future__ import annotations

from sqlalchemy import Engine

from data import meta
from data.settings import is_local


def demo_login_refusal(engine: Engine, *, host: str | None) -> str | None:
    """Why the demo login is refused on this database and address, or None when it may be used.

    Allowed only when the database holds nothing but the demo (built by ``wijkmonitor demo``,
    no accepted import from anyone else) and the server listens on a loopback address.
    """
    if not host or not is_local(host):
        shown = host or "alle adressen"
        return (
            f"de demo-login mag alleen op localhost (127.0.0.1); de server luistert op {shown}. "
            "Start zonder --demo-login, of met --adres 127.0.0.1."
        )
    if meta.get_meta(engine, "demo") != "1":
        return (
            "deze database is geen demodatabase (bouw die met 'wijkmonitor demo'); start zonder "
            "--demo-login en log in met een account ('wijkmonitor users add')."
        )
    real = meta.real_deliveries(engine)
    if real:
        return (
            f"deze database bevat echte gegevens ({real} geaccepteerde import(s) naast de demo); "
            "start zonder --demo-login en log in met een account."
        )
    return None
