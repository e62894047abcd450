# Type stubs for pylon_idv (the C extension pylon_idv._pylon_idv, re-exported).
from typing import Final, Literal, TypeAlias, final

_BytesLike: TypeAlias = bytes | bytearray | memoryview
_Email: TypeAlias = str | _BytesLike
_Secret: TypeAlias = str | _BytesLike
_Hash: TypeAlias = str | _BytesLike | None
_Field: TypeAlias = str | int | float | bool | None
_Cause: TypeAlias = Literal[
    "match", "raw_secret", "email_case", "email_whitespace", "wrong_algorithm",
    "base64_digest", "arguments_swapped", "truncated_secret", "invalid_secret", "unknown",
]

__version__: Final[str]
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

class Error(Exception):
    """Base class of the errors raised by pylon_idv.

    The parts come as data (set when the core raised it): ``status``, the core's status
    (negative), ``reason``, the message without the ``"pylon_idv: "`` prefix, ``position``
    and ``which`` (see InvalidSecretError)."""
    status: int
    reason: str
    position: int | None
    which: int | None

class InvalidSecretError(Error, ValueError):
    """The identity secret is empty, of odd length, or holds a non-hex character.

    ``position``: the offending character's index (or the end of the digits, for an odd
    count) in the string as given, None when empty; ``which``: 0 for the current secret, k
    for the k-th previous one, None for a raw key (``Signer.from_key``)."""

def sign(email: _Email, secret_hex: _Secret) -> str:
    """Return the email hash: 64 lowercase hex digits."""

def verify(email: _Email, secret_hex: _Secret, email_hash: _Hash) -> bool:
    """True if email_hash is the email's hash; False for anything else."""

def generate_secret() -> str:
    """A new secret: 32 random bytes as 64 lowercase hex digits."""

@final
class Signer:
    """A secret decoded once; immutable and thread-safe; never shows its secret."""

    def __new__(cls, secret_hex: _Secret, *, previous: list[_Secret] | tuple[_Secret, ...] = ()) -> "Signer": ...
    @classmethod
    def from_key(cls, key_bytes: _BytesLike) -> "Signer":
        """A Signer keyed with raw key bytes (no hex decoding)."""
    def sign(self, email: _Email) -> str:
        """The email hash under the current secret."""
    def verify(self, email: _Email, email_hash: _Hash) -> bool:
        """True if email_hash matches under the current or a previous secret."""
    def match(self, email: _Email, email_hash: _Hash) -> int | None:
        """0 for the current secret, k for the k-th previous one, None for no match."""
    @property
    def fingerprint(self) -> str:
        """16 hex digits identifying the secret; safe to log."""

@final
class Diagnosis:
    """Why a hash does or does not match; true only for a match; immutable."""

    @property
    def cause(self) -> _Cause:
        """The first known mistake that explains the hash, or "match", "unknown"."""
    @property
    def message(self) -> str:
        """What was found and how to fix it, in a sentence or two; never the secret."""
    def __init__(self, cause: _Cause, message: str) -> None: ...
    def __bool__(self) -> bool: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

def diagnose(email: _Email, secret_hex: _Secret, email_hash: _Hash) -> Diagnosis:
    """Name the known mistake that explains email_hash; never raises on data."""

class HTML(str):
    """A str of HTML, safe to insert as it is; ``__html__()`` returns it (markup protocol)."""
    def __html__(self) -> "HTML": ...

def chat_settings(
    email: str | None,
    secret_or_signer: _Secret | Signer,
    *,
    app_id: str,
    **fields: _Field,
) -> dict[str, str | int | float | bool]:
    """app_id, email, email_hash, then fields sorted by name (None dropped)."""

def chat_settings_json(
    email: str | None,
    secret_or_signer: _Secret | Signer,
    *,
    app_id: str,
    **fields: _Field,
) -> str:
    """The chat settings as JSON text (escaped so that it is also safe in HTML)."""

def chat_settings_script(
    email: str | None,
    secret_or_signer: _Secret | Signer,
    *,
    app_id: str,
    nonce: str | None = None,
    **fields: _Field,
) -> HTML:
    """``<script [nonce]>window.pylon.chat_settings = {...};</script>``."""

def chat_settings_data(
    email: str | None,
    secret_or_signer: _Secret | Signer,
    *,
    app_id: str,
    **fields: _Field,
) -> HTML:
    """``<script type="application/json" id="pylon-chat-settings">{...}</script>``."""

def widget_script(app_id: str, *, nonce: str | None = None) -> HTML:
    """An inline loader: the window.Pylon queue and the widget's ``<script src>``."""

def script_tag(src: str, *, nonce: str | None = None) -> HTML:
    """``<script src="SRC"[ nonce="N"]></script>``: loads pylon-chat.js from your own origin."""

def static_path() -> str:
    """The folder holding pylon-chat.js inside the installed package."""

def csp_sources() -> dict[str, tuple[str, ...]]:
    """The CSP sources the widget needs, directive -> source expressions (a new dict)."""

def _diagnose(email: _Email, secret_hex: _Secret, email_hash: _Hash) -> tuple[_Cause, str]: ...
