#!/bin/sh
# demo-python.sh [EMAIL] -- the Python binding doing its job, in a few lines (make demo).
# Uses PYLON_IDENTITY_SECRET (a new secret when unset) and build/venv-py (the venv of
# `make test-python`), made first when missing by a plain `pip install .`.
set -eu
cd "$(dirname "$0")/.."
email=${1:-jane@example.com}
venv=${BUILD:-build}/venv-py
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    have=$(python3 -c 'import platform; print("Python " + platform.python_version())' 2>/dev/null \
           || echo "no python3 installed, and its apt offers an older one")
    echo "   Python (skipped: the binding needs CPython >= 3.10; this system has $have)"
    exit 0
fi
if ! "$venv/bin/python" -c 'import pylon_idv' >/dev/null 2>&1; then
    echo "   (building the Python binding: pip install . into $venv)"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check . >/dev/null
fi
cd "$venv"    # import the installed package, never a source tree
EMAIL=$email bin/python - <<'PY'
import os
import pylon_idv

secret = os.environ.get("PYLON_IDENTITY_SECRET") or pylon_idv.generate_secret()
email = os.environ["EMAIL"]
h = pylon_idv.sign(email, secret)                      # what the page hands to the widget
ok = pylon_idv.verify(email, secret, h)
forged = pylon_idv.verify("mallory@example.com", secret, h)
print(f"   Python {h}   verify: {ok}, another email: {forged}")
assert ok and not forged
other = email.upper() if email.upper() != email else email.lower()
if other != email:                  # a hash of the case-changed email, as a buggy client makes
    d = pylon_idv.diagnose(email, secret, pylon_idv.sign(other, secret))
    print(f"   Python diagnose of a case-changed hash: {d.cause}")
script = pylon_idv.chat_settings_script(email, pylon_idv.Signer(secret), app_id="demo",
                                        name="</script><script>alert(1)</script>")
print(f"   Python chat_settings_script: {script[:60]}... ({script.count('</script')} </script, at the end)")
PY
