"""``dronewatch console adduser``: accounts from the command line, bad ones refused."""

from __future__ import annotations

from typer.testing import CliRunner

from dronewatch.cli import app
from dronewatch.console.auth import login
from dronewatch.store import Store
from dronewatch.store.users import get_user

runner = CliRunner()


def test_adduser_saves_a_hashed_account_that_can_log_in_and_resets_it(tmp_path):
    where = str(tmp_path / "store.sqlite")
    result = runner.invoke(app, ["console", "adduser", "olga", "--role", "operator",
                                 "--store", where], input="correct horse battery\n")
    assert result.exit_code == 0, result.output
    assert "olga" in result.output and "correct horse" not in result.output
    result = runner.invoke(app, ["console", "adduser", "olga", "--store", where],
                           input="another long secret\n")
    assert result.exit_code == 0, result.output
    with Store(where) as db:
        assert get_user(db, "olga").role.value == "viewer"
        assert login(db, "olga", "correct horse battery") is None
        assert login(db, "olga", "another long secret") is not None


def test_adduser_refuses_bad_names_and_short_passwords_in_one_line(tmp_path):
    where = str(tmp_path / "store.sqlite")
    for name, password, says in (("bad name!", "long enough pw", "user name 'bad name!'"),
                                 ("olga", "short", "at least 8 characters")):
        result = runner.invoke(app, ["console", "adduser", name, "--store", where],
                               input=password + "\n")
        assert result.exit_code == 1, result.output
        assert says in result.output and "Traceback" not in result.output
    with Store(where) as db:
        assert get_user(db, "olga") is None
