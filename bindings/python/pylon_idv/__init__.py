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

See ``help(pylon_idv.Signer)`` for rotation (``previous=``) and ``match``,
``chat_settings_script`` for the page's ``<script>``, and ``diagnose`` for "why doesn't my
hash match?".
"""

import math

from ._pylon_idv import (
    Error,
    InvalidSecretError,
    Signer,
    __version__,
    _diagnose,
    _json_script_string,
    generate_secret,
    sign,
    verify,
)

__all__ = [
    "Diagnosis",
    "Error",
    "InvalidSecretError",
    "Signer",
    "__version__",
    "chat_settings",
    "chat_settings_script",
    "diagnose",
    "generate_secret",
    "sign",
    "verify",
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
    return Diagnosis(*_diagnose(email, secret_hex, email_hash))


# ------------------------------------------------------------------- chat settings

_SCRIPT_HEAD = "<script>window.pylon = window.pylon || {};window.pylon.chat_settings = {"
_SCRIPT_TAIL = "};</script>"
_SECRET_TYPES = (str, bytes, bytearray, memoryview)


def _settings(fname, email, secret_or_signer, app_id, fields):
    """The settings as a list of (name, value) pairs, in output order, None values dropped.

    Every argument is checked before anything is signed."""
    if not isinstance(email, str):
        raise TypeError(f"{fname}() argument 'email' must be str (the widget is given text), "
                        f"not {type(email).__qualname__}")
    if not isinstance(secret_or_signer, (Signer,) + _SECRET_TYPES):
        raise TypeError(f"{fname}() argument 'secret_or_signer' must be a hex secret (str or "
                        f"bytes) or a Signer, not {type(secret_or_signer).__qualname__}")
    if not isinstance(app_id, str):
        raise TypeError(f"{fname}() argument 'app_id' must be str, "
                        f"not {type(app_id).__qualname__}")
    if not app_id:
        raise ValueError(f"{fname}() argument 'app_id' must not be empty")
    if "email_hash" in fields:
        raise TypeError(f"{fname}() got a value for 'email_hash', which it computes")
    pairs = []
    for name, value in fields.items():
        if value is None:
            continue
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError(f"{fname}() field {name!r} is not a finite number: {value!r}")
        elif not isinstance(value, (str, int)):          # bool is an int
            raise TypeError(f"{fname}() field {name!r} must be str, int, float, bool or None, "
                            f"not {type(value).__qualname__}")
        pairs.append((name, value))
    if isinstance(secret_or_signer, Signer):
        email_hash = secret_or_signer.sign(email)
    else:
        email_hash = sign(email, secret_or_signer)
    return [("app_id", app_id), ("email", email), ("email_hash", email_hash)] + pairs


def chat_settings(email, secret_or_signer, *, app_id, **fields):
    """Return the widget's chat settings as a dict: app_id, email, email_hash, then fields.

    email is the user's email as a str, signed exactly as given (no trimming or
    lower-casing) and passed to the widget the same. secret_or_signer is the identity
    secret (hex, str or bytes) or, better for a web app, a Signer made once at start-up.
    app_id is a non-empty str. fields are any other settings (``name="Jane Doe"``): str,
    int, float, bool or None; None values are dropped, so optional settings can be passed
    as they are. Key order: app_id, email, email_hash, then fields in the order given.

    Raises TypeError for a value of another type (or a field named email_hash), ValueError
    for an empty app_id or a NaN or infinite float, InvalidSecretError for a bad secret.
    To write the settings into a page, use chat_settings_script(), which escapes them for an
    inline <script>; if you serialise this dict yourself, escape it for HTML the same way.
    """
    return dict(_settings("chat_settings", email, secret_or_signer, app_id, fields))


def _json_value(name, value):
    if isinstance(value, str):
        return _json_script_string(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)                      # an int subclass: its number
    return float.__repr__(value)                        # finite (checked): valid JSON


def chat_settings_script(email, secret_or_signer, *, app_id, **fields):
    """Return one ``<script>`` element that gives the widget its chat settings.

    The same arguments and checks as chat_settings(); the result is

        <script>window.pylon = window.pylon || {};window.pylon.chat_settings = {...};</script>

    with the settings as a JSON object (app_id, email, email_hash, then fields in the order
    given) escaped for an inline script: besides JSON's own escapes, ``<``, ``>``, ``&``,
    U+2028 and U+2029 become ``\\u`` escapes, so a hostile name or email can neither close
    the tag (``</script>``), open a comment (``<!--``) nor break the line. Safe to insert
    into an HTML template unescaped (Jinja: ``{{ script|safe }}`` or ``Markup(script)``).
    A str with lone surrogates (not encodable as UTF-8) raises UnicodeEncodeError.

        >>> SIGNER = pylon_idv.Signer(os.environ["PYLON_IDENTITY_SECRET"])   # at start-up
        >>> pylon_idv.chat_settings_script(user.email, SIGNER, app_id=APP_ID, name=user.name)
    """
    pairs = _settings("chat_settings_script", email, secret_or_signer, app_id, fields)
    body = ",".join(_json_script_string(name) + ":" + _json_value(name, value)
                    for name, value in pairs)
    return _SCRIPT_HEAD + body + _SCRIPT_TAIL
