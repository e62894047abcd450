"""Run a docs block that starts a server, fetch its URL, stop it.

    unshare -n python3 serve_block.py URL TIMEOUT SCRIPT_FILE

Brings up lo in the (new, empty) network namespace, so the block's port is free whatever
else runs on the machine; runs bash SCRIPT_FILE in its own process group from the top of
the checkout; fetches URL until it answers 200 (or TIMEOUT seconds pass, or the server
exits); prints the status and whether the page holds the Pylon settings; stops the group.
Exit 0 when the page answered 200 and holds the settings (inline, or the data element).
"""
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

url, timeout, script = sys.argv[1], float(sys.argv[2]), sys.argv[3]
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
log = open(script + ".log", "wb")
proc = subprocess.Popen(["bash", "-euo", "pipefail", script], stdout=log,
                        stderr=subprocess.STDOUT, start_new_session=True)
status, body = None, b""
deadline = time.time() + timeout
try:
    while time.time() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                status, body = r.status, r.read()
                break
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read()
            break
        except OSError:
            time.sleep(0.5)
finally:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    log.close()
settings = b"chat_settings" in body or b'id="pylon-chat-settings"' in body
print("serve_block: %s answered %s, %d bytes, the Pylon settings: %s"
      % (url, status, len(body), settings))
if status != 200 or not settings:
    sys.stdout.write(open(script + ".log", encoding="utf-8", errors="replace").read()[-3000:])
    sys.exit(1)
