"""The control: mistakes mypy --strict must report in an app using the drop-ins."""
import jinja2

import pylon_idv.jinja
from pylon_idv.flask import PylonIDV

pylon_idv.jinja.install(jinja2.Environment(), app_id=42)          # an int app id
pylon_idv.jinja.install(jinja2.Environment(), app_id="a", mode="strict")   # no such mode
PylonIDV(email=lambda: 3)                                          # an email that is an int
