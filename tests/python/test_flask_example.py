"""examples/flask/app.py through Flask's test client (and once for real, on 127.0.0.1): each
of its three pages (/: Pylon's policy with chat_settings_data + pylon-chat.js; /nonce; /inline)
gives the right settings, with the right Content-Security-Policy, and hostile names and emails
stay inert. The same pages in headless Chromium: tests/integration/test_browser.py."""

import importlib.util
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

flask = pytest.importorskip("flask")

import pylon_idv  # noqa: E402
from vectors import SECRET, ref  # noqa: E402

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir)
APP_PY = os.path.join(REPO, "examples", "flask", "app.py")
HEAD = ("<script>(function(w,O){var p=w.pylon,q=p&&typeof p==\"object\"?O.getPrototypeOf(p):1;"
        "if(q!==O.prototype&&(q!==null||p.window===p))w.pylon=p={};p.chat_settings=")

USERS = [
    ("jane@example.com", "Jane Doe"),
    ("jöhn+chat@exämple.com", "Jöhn 用户 😀"),
    ('"><img src=x onerror="window.__pwned=1">@example.com',
     "</script><script>window.__pwned=2</script>"),
    ("x@example.com", "<!-- <script>window.__pwned=3</script> -->"),
    ("y@example.com", "line\u2028sep\u2029para \\ \" ' & < > `${window.__pwned=4}`"),
    ("  Padded@Example.com ", "</SCRIPT >"),
]


def _load():
    spec = importlib.util.spec_from_file_location("pylon_flask_example", APP_PY)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


example = _load()


DATA = '<script type="application/json" id="pylon-chat-settings">'
WIDGET = 'https://widget.usepylon.com/widget/'


def settings_of(html, mode="/"):
    """The chat settings of a page, checking that its scripts are exactly the expected two:
    the settings (data element or inline script) and the loader (pylon-chat.js or inline)."""
    low = html.lower()
    assert low.count("<script") == 2 and low.count("</script") == 2, html
    nonce = re.search(r'<script nonce="([^"]+)">', html)
    if mode == "/":
        m = re.search(re.escape(DATA) + r"(.*?)</script>", html, re.S)
        assert m and '<script src="/pylon-chat.js" defer></script>' in html
        body = m.group(1)
    else:
        head = HEAD if mode == "/inline" else HEAD.replace("<script>", '<script nonce="%s">'
                                                           % nonce.group(1))
        m = re.search(re.escape(head) + r"(.*?)\}\)\(window,Object\);</script>", html, re.S)
        assert m, html
        body = m.group(1)
        assert html.count(WIDGET) == 1
    assert not re.search("[<>&\u2028\u2029]", body)
    return json.loads(body)


@pytest.mark.parametrize("mode,csp", [("/", "script-src 'self' https://widget.usepylon.com"),
                                      ("/nonce", "script-src 'nonce-"), ("/inline", None)])
def test_three_pages_and_their_policies(mode, csp):
    app = example.create_app(SECRET, email="jane@example.com", name="</script>", app_id="my-app")
    c = app.test_client()
    r = c.get(mode)
    html = r.get_data(as_text=True)
    s = settings_of(html, mode)
    assert s == {"app_id": "my-app", "email": "jane@example.com",
                 "email_hash": ref("jane@example.com"), "name": "</script>"}
    got = r.headers.get("Content-Security-Policy")
    if csp is None:
        assert got is None
    elif mode == "/nonce":
        nonce = re.search(r'<script nonce="([^"]+)">', html).group(1)
        assert got == "script-src 'nonce-%s'" % nonce and html.count(nonce) == 2
        assert nonce not in c.get(mode).get_data(as_text=True)      # fresh per response
    else:
        assert got == csp
    js = c.get("/pylon-chat.js")
    assert js.status_code == 200 and js.mimetype == "text/javascript"
    with open(os.path.join(pylon_idv.static_path(), "pylon-chat.js"), "rb") as f:
        assert js.data == f.read()


@pytest.mark.parametrize("mode", ["/", "/nonce", "/inline"])
def test_anonymous_visitor_same_template(mode):
    app = example.create_app(SECRET, app_id="my-app", anonymous=True)
    html = app.test_client().get(mode).get_data(as_text=True)
    assert settings_of(html, mode) == {"app_id": "my-app"}
    assert "Not signed in" in html


@pytest.mark.parametrize("email,name", USERS)
def test_page_sets_the_right_hash_and_hostile_values_stay_inert(email, name):
    app = example.create_app(SECRET, email=email, name=name, app_id="my-app")
    r = app.test_client().get("/")
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "private, no-store"
    assert r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    s = settings_of(html)
    assert s == {"app_id": "my-app", "email": email, "email_hash": ref(email), "name": name}
    assert list(s) == ["app_id", "email", "email_hash", "name"]
    for mode in ("/nonce", "/inline"):
        assert settings_of(app.test_client().get(mode).get_data(as_text=True), mode) == s
    # The visible text is HTML-escaped by Jinja: no markup of the user's reaches the page.
    assert "<img" not in html and "<!-- <script" not in html
    assert SECRET not in html


def test_environment_configures_the_demo_user(monkeypatch):
    monkeypatch.setenv("PYLON_IDENTITY_SECRET", SECRET + "\n")     # a trailing newline is fine
    monkeypatch.setenv("PYLON_DEMO_EMAIL", "env@example.com")
    monkeypatch.setenv("PYLON_DEMO_NAME", "Env </script> User")
    monkeypatch.setenv("PYLON_APP_ID", "env-app")
    s = settings_of(example.create_app().test_client().get("/").get_data(as_text=True))
    assert s == {"app_id": "env-app", "email": "env@example.com",
                 "email_hash": ref("env@example.com"), "name": "Env </script> User"}


def test_defaults(monkeypatch):
    for v in ("PYLON_DEMO_EMAIL", "PYLON_DEMO_NAME", "PYLON_APP_ID"):
        monkeypatch.delenv(v, raising=False)
    s = settings_of(example.create_app(SECRET).test_client().get("/").get_data(as_text=True))
    assert s["email"] == "jane@example.com" and s["name"] == "Jane Doe"
    assert s["email_hash"] == ref("jane@example.com")


def test_missing_or_bad_secret_stops_start_up(monkeypatch):
    monkeypatch.delenv("PYLON_IDENTITY_SECRET", raising=False)
    with pytest.raises(RuntimeError, match="PYLON_IDENTITY_SECRET"):
        example.create_app()
    with pytest.raises(pylon_idv.InvalidSecretError):
        example.create_app("")
    with pytest.raises(pylon_idv.InvalidSecretError) as e:
        example.create_app(SECRET[:20] + "x" + SECRET[21:])
    assert SECRET[:20] not in str(e.value)


def test_logs_the_fingerprint_never_the_secret(caplog):
    with caplog.at_level(logging.INFO):
        app = example.create_app(SECRET)
        app.test_client().get("/")
    text = caplog.text
    assert pylon_idv.Signer(SECRET).fingerprint in text
    assert SECRET not in text and SECRET[:16] not in text


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_runs_for_real_on_a_chosen_port():
    port = _free_port()
    env = dict(os.environ, PYLON_IDENTITY_SECRET=SECRET, PYLON_DEMO_EMAIL="run@example.com",
               PYLON_DEMO_NAME="<b>Run</b>")
    proc = subprocess.Popen([sys.executable, APP_PY, "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 20
        while True:
            assert proc.poll() is None, proc.stderr.read().decode()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    html = r.read().decode()
                break
            except OSError:
                assert time.time() < deadline, "the example did not answer"
                time.sleep(0.1)
        s = settings_of(html)
        assert s["email_hash"] == ref("run@example.com") and s["name"] == "<b>Run</b>"
    finally:
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    err = err.decode()
    assert pylon_idv.Signer(SECRET).fingerprint in err
    assert "127.0.0.1" in err and SECRET not in err


def test_refuses_to_start_without_a_secret():
    env = {k: v for k, v in os.environ.items() if k != "PYLON_IDENTITY_SECRET"}
    p = subprocess.run([sys.executable, APP_PY, "--port", str(_free_port())], env=env,
                       capture_output=True, timeout=30)
    assert p.returncode == 2 and b"PYLON_IDENTITY_SECRET is not set" in p.stderr


# ------------------------------------------- extension.py's test-only corpus route (hostile.py)

EXT_PY = os.path.join(REPO, "examples", "flask", "extension.py")


def _extension(monkeypatch, corpus, mode="data"):
    monkeypatch.setenv("PYLON_IDENTITY_SECRET", SECRET)
    monkeypatch.setenv("DEMO_MODE", mode)
    monkeypatch.setenv("PYLON_APP_ID", "corpus-app")
    if corpus is None:
        monkeypatch.delenv("PYLON_DEMO_CORPUS", raising=False)
    else:
        monkeypatch.setenv("PYLON_DEMO_CORPUS", str(corpus))
    spec = importlib.util.spec_from_file_location("pylon_flask_extension_example", EXT_PY)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.app.test_client()


PAGE_BYTES = b"<!doctype html>\r\n<p>\xc3\xa9 caf\xc3\xa9</p>\n@@PYLON@@</body>\n</html>"


@pytest.mark.parametrize("mode", ["data", "inline"])
def test_corpus_route_puts_the_drop_in_at_the_token_and_keeps_every_other_byte(
        monkeypatch, tmp_path, mode):
    (tmp_path / "p.html").write_bytes(PAGE_BYTES)
    (tmp_path / "none.html").write_bytes(b"<p>no token</p></body>")
    client = _extension(monkeypatch, tmp_path, mode)
    r = client.get("/corpus/p?user=jane")
    head, tail = PAGE_BYTES.split(b"@@PYLON@@")
    assert r.status_code == 200 and r.data.startswith(head) and r.data.endswith(tail)
    snippet = r.data[len(head):len(r.data) - len(tail)].decode()
    assert ref("jane@example.com") in snippet and '"name":"Jane Doe"' in snippet
    if mode == "data":
        assert snippet.startswith(DATA) and snippet.endswith(
            '<script src="/_pylon_idv/pylon-chat.js"></script>')
    else:
        assert snippet.count("<script nonce=") == 2 and WIDGET + "corpus-app" in snippet
    assert "Content-Security-Policy" not in r.headers     # the page's own scripts must run
    visitor = client.get("/corpus/p").data.decode()
    assert '{"app_id":"corpus-app"}' in visitor and "email" not in visitor
    assert client.get("/corpus/none").data == b"<p>no token</p></body>"
    for bad in ("/corpus/..%2Fp", "/corpus/missing", "/corpus/%2Fetc%2Fpasswd"):
        assert client.get(bad).status_code == 404, bad


def test_corpus_route_exists_only_when_asked_for(monkeypatch, tmp_path):
    (tmp_path / "p.html").write_bytes(PAGE_BYTES)
    client = _extension(monkeypatch, None)
    assert client.get("/corpus/p?user=jane").status_code == 404
    assert client.get("/").headers["Content-Security-Policy"].startswith("script-src 'self'")
