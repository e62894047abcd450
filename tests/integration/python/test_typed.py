"""The drop-ins are typed: mypy --strict (the pin of tests/integration/requirements.txt) passes
on a small app using each of them (tests/integration/typed), and reports the mistakes of the
control app (an int app id, a mode that does not exist, an email hook returning an int)."""
import os
import subprocess
import sys

import pytest

TYPED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "typed")
APPS = ["flask_app", "fastapi_app", "quart_app", "litestar_app", "django_settings_app"]


def mypy(tmp_path, name):
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", os.path.join(TYPED, "mypy.ini"),
         "--cache-dir", str(tmp_path / "cache"), os.path.join(TYPED, name + ".py")],
        capture_output=True, text=True, cwd=str(tmp_path), timeout=600)


def test_mypy_is_the_pinned_one():
    import mypy.version
    with open(os.path.join(os.path.dirname(TYPED), "requirements.txt")) as f:
        assert "mypy==%s\n" % mypy.version.__version__ in f.read()


@pytest.mark.parametrize("name", APPS)
def test_strict_passes(tmp_path, name):
    r = mypy(tmp_path, name)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Success: no issues found" in r.stdout


def test_control_mistakes_are_reported(tmp_path):
    r = mypy(tmp_path, "bad_app")
    assert r.returncode == 1, r.stdout + r.stderr
    for words in ('"app_id" to "install" has incompatible type "int"',
                  '"mode" to "install"', '"email" to "PylonIDV"'):
        assert words in r.stdout, r.stdout
