"""Identity-verification hashes for the Pylon chat widget.

    email_hash = lowercase_hex(HMAC-SHA256(key = bytes.fromhex(secret), msg = email))

The hash the browser hands to the widget (``window.pylon.chat_settings.email_hash``), computed
by a C core on OpenSSL: byte for byte what
``hmac.new(bytes.fromhex(secret), email.encode(), hashlib.sha256).hexdigest()`` gives, many
times faster, with strict checks of the secret.

    >>> import pylon_idv
    >>> secret = pylon_idv.generate_secret()       # keep it on the server
    >>> h = pylon_idv.sign("jane@example.com", secret)
    >>> pylon_idv.verify("jane@example.com", secret, h)
    True
    >>> signer = pylon_idv.Signer(secret)          # decode once, sign many: faster
    >>> signer.sign("jane@example.com") == h
    True

See ``help(pylon_idv.Signer)`` for rotation (``previous=``) and ``match``; for the page,
``chat_settings_script`` (an inline ``<script>``, optionally with a CSP nonce),
``chat_settings_data`` with ``pylon-chat.js`` (in ``static_path()``; no inline script at all),
``widget_script`` (the widget's loader) and ``chat_settings_json``; and ``diagnose`` for "why
doesn't my hash match?".
"""

import os as _os

from ._pylon_idv import (
    HTML,
    Error,
    InvalidSecretError,
    Signer,
    __version__,
    _diagnose,
    chat_settings,
    chat_settings_data,
    chat_settings_json,
    chat_settings_script,
    csp_sources,
    generate_secret,
    script_tag,
    sign,
    verify,
    widget_script,
)

__all__ = [
    "Diagnosis",
    "Error",
    "HTML",
    "InvalidSecretError",
    "Signer",
    "__version__",
    "chat_settings",
    "chat_settings_data",
    "chat_settings_json",
    "chat_settings_script",
    "csp_sources",
    "diagnose",
    "generate_secret",
    "script_tag",
    "sign",
    "static_path",
    "verify",
    "widget_script",
]


# ------------------------------------------------------------------------- diagnose

class Diagnosis:
    """Why a hash does (or does not) match: the result of :func:`diagnose`.

    ``cause`` is one of ``"match"``, ``"raw_secret"``, ``"email_case"``,
    ``"email_whitespace"``, ``"wrong_algorithm"``, ``"base64_digest"``,
    ``"arguments_swapped"``, ``"truncated_secret"``, ``"invalid_secret"``, ``"unknown"``;
    ``message`` says in a sentence or two what was found and how to fix it (never the
    secret). A Diagnosis is true only for a match, so ``if not diagnose(...)`` reads as
    "it does not match". ``str(d)`` is ``"cause: message"``, as ``pylon-idv diagnose``
    prints it. Immutable.
    """

    __slots__ = ("cause", "message")

    def __init__(self, cause, message):
        object.__setattr__(self, "cause", cause)
        object.__setattr__(self, "message", message)

    def __setattr__(self, name, value):
        raise AttributeError(f"Diagnosis is immutable: cannot set {name!r}")

    def __delattr__(self, name):
        raise AttributeError(f"Diagnosis is immutable: cannot delete {name!r}")

    def __bool__(self):
        return self.cause == "match"

    def __eq__(self, other):
        if not isinstance(other, Diagnosis):
            return NotImplemented
        return (self.cause, self.message) == (other.cause, other.message)

    def __hash__(self):
        return hash((Diagnosis, self.cause, self.message))

    def __repr__(self):
        return f"Diagnosis(cause={self.cause!r}, message={self.message!r})"

    def __str__(self):
        return f"{self.cause}: {self.message}"

    def __reduce__(self):
        return (Diagnosis, (self.cause, self.message))


def diagnose(email, secret_hex, email_hash):
    """Say why email_hash does or does not match email under secret_hex: a Diagnosis.

    Recomputes the usual integration mistakes and names the first that explains the hash:
    the secret's text used as the key (``raw_secret``), a lower- or upper-cased email
    (``email_case``), an email with surrounding whitespace removed (``email_whitespace``),
    HMAC-SHA1 or HMAC-MD5 (``wrong_algorithm``), a base64 digest (``base64_digest``), key
    and message swapped (``arguments_swapped``), a malformed secret decoded as Node's
    ``Buffer.from(s, "hex")`` does (``truncated_secret``); ``invalid_secret`` for a
    malformed secret nothing explains, ``unknown`` otherwise.

    It never raises on data: a bad secret is a diagnosis, not an InvalidSecretError, and a
    None or malformed hash is evaluated. TypeError for arguments of the wrong type,
    UnicodeEncodeError for a str email with lone surrogates. A developer tool: it is not
    constant time and it answers questions about the secret, so never expose it on an
    endpoint (``pylon-idv diagnose EMAIL HASH`` is the command-line form).

        >>> d = pylon_idv.diagnose(email, secret, hash_from_the_page)
        >>> if not d:
        ...     print(d.cause, d.message)
    """
    try:
        return Diagnosis(*_diagnose(email, secret_hex, email_hash))
    except BaseException:
        # Error trackers record the locals of every frame: none may keep the secret (nor the
        # other two, which a confused caller may have filled with it).
        email = secret_hex = email_hash = None
        raise


# ------------------------------------------------------------------------- the page

def static_path():
    """The folder holding pylon-chat.js, inside the installed package: serve it from your
    own origin (Flask: ``send_from_directory(pylon_idv.static_path(), "pylon-chat.js")``;
    Django: add it to ``STATICFILES_DIRS``). With chat_settings_data() it makes the page work
    under exactly ``script-src 'self' https://widget.usepylon.com``, with no nonce."""
    return _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "static")
