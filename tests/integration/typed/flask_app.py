"""A Flask app using pylon_idv.flask, for mypy --strict."""
from typing import Mapping, Optional, Union

import flask

from pylon_idv.flask import ConfigError, PylonIDV
import pylon_idv.csp

app = flask.Flask(__name__)
app.config["PYLON_IDV_APP_ID"] = "typed-app"
pylon = PylonIDV()


@pylon.email_loader
def current_email() -> Optional[str]:
    return flask.session.get("email")


@pylon.fields_loader
def chat_fields() -> Mapping[str, Union[str, int, float, bool, None]]:
    return {"plan": "pro"}


try:
    pylon.init_app(app)
except ConfigError as e:
    print([p.id for p in e.problems])

policy = pylon_idv.csp.merge_talisman({"default-src": "'self'"})
header: str = pylon_idv.csp.header(policy)
