# Type stubs for pylon_idv (the C extension pylon_idv._pylon_idv, re-exported).
from collections.abc import Iterable
from typing import Final, TypeAlias, final

_BytesLike: TypeAlias = bytes | bytearray | memoryview
_Email: TypeAlias = str | _BytesLike
_Secret: TypeAlias = str | _BytesLike
_Hash: TypeAlias = str | _BytesLike | None

__version__: Final[str]
__all__ = [
    "Error",
    "InvalidSecretError",
    "Signer",
    "__version__",
    "generate_secret",
    "sign",
    "verify",
]

class Error(Exception):
    """Base class of the errors raised by pylon_idv."""

class InvalidSecretError(Error, ValueError):
    """The identity secret is empty, of odd length, or holds a non-hex character."""

def sign(email: _Email, secret_hex: _Secret) -> str:
    """Return the email hash: 64 lowercase hex digits."""

def verify(email: _Email, secret_hex: _Secret, email_hash: _Hash) -> bool:
    """True if email_hash is the email's hash; False for anything else."""

def generate_secret() -> str:
    """A new secret: 32 random bytes as 64 lowercase hex digits."""

@final
class Signer:
    """A secret decoded once; immutable and thread-safe; never shows its secret."""

    def __new__(cls, secret_hex: _Secret, *, previous: Iterable[_Secret] = ()) -> "Signer": ...
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
