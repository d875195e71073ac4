"""``dronewatch console``: the operator console in the browser, and its accounts."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Annotated

import typer

from dronewatch.cli.common import app, console, fail, run
from dronewatch.cli.inputs import (
    current_settings,
    drone_url,
    read_signing_key,
    store_url,
    writable_folder,
)
from dronewatch.store.users import Role

console_app = typer.Typer(help="The operator console: a live map in the browser "
                               "(dronewatch console, then open the printed address).")
app.add_typer(console_app, name="console")


def _drones(values: list[str] | None) -> list[str] | None:
    for value in values or []:
        drone_url(value)
    return values


StoreOption = Annotated[str | None, typer.Option(
    help="SQLite file or postgresql:// URL [default: the 'store' setting]",
    callback=store_url, show_default=False)]


@console_app.callback(invoke_without_command=True)
def console_command(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(
        help="Address to listen on; another than 127.0.0.1 lets other PCs in")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on", min=1, max=65535)] = 8470,
    drone: Annotated[list[str] | None, typer.Option(
        help="MAVLink URL of a drone to follow; repeat for each [default: the 'drone' "
             "setting]", callback=_drones, show_default=False, metavar="URL")] = None,
    store: StoreOption = None,
    camera: Annotated[str, typer.Option(
        help="'sim' renders the simulated thermal world; else a folder the camera writes "
             "into")] = "sim",
    out_dir: Annotated[Path, typer.Option(help="Folder for mission maps and .tlog files",
                                        callback=writable_folder)] = Path("out"),
    speedup: Annotated[float | None, typer.Option(
        help="The simulator's speed-up [default: the vehicle's SIM_SPEEDUP]", min=1,
        max=1000, show_default=False)] = None,
) -> None:
    """Serve the console on HOST:PORT until Ctrl-C (log in with an account from adduser)."""
    if ctx.invoked_subcommand:
        return
    from dronewatch.console.serve import ConsoleOptions, drone_urls, serve
    from dronewatch.ops.cameras import camera_source
    from dronewatch.store import Store
    from dronewatch.store.users import users

    if camera != "sim" and not Path(camera).is_dir():
        fail(f"--camera {camera}: neither 'sim' nor an existing folder", 2)
    settings = current_settings()
    where = store or settings.store
    with run(lambda: Store(where)) as db:
        if not users(db):
            console.print("[yellow]no console accounts yet: create one with 'dronewatch "
                          "console adduser NAME --role operator'[/]")
    options = ConsoleOptions(drone_urls(drone, settings), where, out_dir, host, port, speedup,
                             read_signing_key(None, settings.signing_key_file))
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: uvicorn has stopped by now
        run(lambda: serve(options, settings,
                          lambda terrain: camera_source(camera, terrain, seed=20261123,
                                                         model=settings.camera),
                          say=lambda text: console.print(text, highlight=False)))


@console_app.command("adduser")
def adduser_command(
    name: Annotated[str, typer.Argument(help="The account's name (letters, digits, . _ -)")],
    role: Annotated[Role, typer.Option(help="operator: may launch and review; viewer: "
                                            "watches")] = Role.VIEWER,
    store: StoreOption = None,
) -> None:
    """Create an account, or reset its password and role; the password is asked for (or
    read from the first line of standard input when it is not a terminal)."""
    from dronewatch.console.auth import create_user
    from dronewatch.store import Store

    if sys.stdin.isatty():
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    where = store or current_settings().store
    with run(lambda: Store(where)) as db:
        user = run(lambda: create_user(db, name, role, password))
    console.print(f"console account [bold]{user.name}[/] ({user.role.value}) saved")
