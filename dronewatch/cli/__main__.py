"""`python -m dronewatch.cli`: the same as the `dronewatch` command."""

from dronewatch.cli import app

app()
