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

See ``help(pylon_idv.Signer)`` for rotation (``previous=``) and ``match``.
"""

from ._pylon_idv import (
    Error,
    InvalidSecretError,
    Signer,
    __version__,
    generate_secret,
    sign,
    verify,
)

__all__ = [
    "Error",
    "InvalidSecretError",
    "Signer",
    "__version__",
    "generate_secret",
    "sign",
    "verify",
]
