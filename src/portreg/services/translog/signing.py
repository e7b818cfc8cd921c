"""The log's Ed25519 key and its signed tree heads.

The private key lives in a file outside the database (``--log-key PATH``, else
``$PORTREG_LOG_KEY``, else ``log-key.pem`` in the user's data directory), made on first
use with mode 0600: whoever can edit the database cannot also sign a rewritten log.
Its public half is what verifiers pin.

A tree head is signed as a checkpoint, the text C2SP's tlog-checkpoint format gives
transparency logs (origin, tree size, base64 root hash, one line each), with one extra
line for the time the log reached that size::

    portreg
    342
    3q2+7w...=
    timestamp 1710720000000

The signature is Ed25519 over exactly those bytes.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import RegistryError, StoreError

__all__ = ["ORIGIN", "LogKey", "SignedTreeHead", "default_key_path", "load_key", "public_key_from_pem"]

#: The first line of every checkpoint this log signs.
ORIGIN = "portreg"
KEY_FILE = "log-key.pem"


def default_key_path() -> Path:
    """``$PORTREG_LOG_KEY``, else ``log-key.pem`` in the user's data directory."""
    configured = os.environ.get("PORTREG_LOG_KEY")
    if configured:
        return Path(configured)
    from platformdirs import user_data_path

    return user_data_path("portreg") / KEY_FILE


class LogKey:
    """The log's private key: signs tree heads; ``public_pem`` and ``key_id`` are its public face."""

    def __init__(self, private: Any, path: Path | None = None) -> None:
        from cryptography.hazmat.primitives import serialization

        self._private = private
        self.path = path
        public = private.public_key()
        self.public_pem: str = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")
        self.key_id: str = key_id(public)

    @classmethod
    def generate(cls) -> LogKey:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return cls(Ed25519PrivateKey.generate())

    def sign(self, message: bytes) -> bytes:
        return bytes(self._private.sign(message))


def load_key(path: str | Path | None = None, *, create: bool = True) -> LogKey:
    """The key in ``path`` (see :func:`default_key_path`), made there first when absent and ``create``.

    Two processes starting at once do not make two keys: the file is created
    exclusively, and the loser reads the winner's.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    where = Path(path) if path is not None else default_key_path()
    if not where.exists():
        if not create:
            raise StoreError(
                f"{where}: the log's signing key does not exist (`portreg serve` makes it on its first start; "
                "or name the server's key with --log-key PATH or $PORTREG_LOG_KEY)"
            )
        fresh = Ed25519PrivateKey.generate()
        pem = fresh.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            where.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(where, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        except OSError as exc:
            raise StoreError(f"{where}: cannot create the log's signing key: {exc.strerror}") from None
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
            return LogKey(fresh, where)
    try:
        private = serialization.load_pem_private_key(where.read_bytes(), password=None)
    except OSError as exc:
        raise StoreError(f"{where}: cannot read the log's signing key: {exc.strerror}") from None
    except (ValueError, TypeError) as exc:
        raise StoreError(f"{where}: not an unencrypted PEM private key: {exc}") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise StoreError(f"{where}: the log's key must be an Ed25519 key")
    return LogKey(private, where)


def public_key_from_pem(pem: str | bytes) -> Any:
    """An Ed25519 public key from its PEM text; RegistryError when it is not one."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(pem.encode("ascii") if isinstance(pem, str) else pem)
    except (ValueError, TypeError, UnicodeError) as exc:
        raise RegistryError(f"not a PEM public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise RegistryError("the log's public key is not an Ed25519 key")
    return key


def key_id(public: Any) -> str:
    """The first 8 bytes of SHA-256 over the raw public key, in hex: short enough to show."""
    from cryptography.hazmat.primitives import serialization

    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class SignedTreeHead:
    """The log's state at ``size`` leaves, signed: what verifiers keep and compare."""

    origin: str
    size: int
    root: bytes
    timestamp: int  # milliseconds since the epoch, when the log reached this size
    key_id: str
    signature: bytes

    @staticmethod
    def checkpoint_of(origin: str, size: int, root: bytes, timestamp: int) -> bytes:
        return f"{origin}\n{size}\n{base64.b64encode(root).decode('ascii')}\ntimestamp {timestamp}\n".encode()

    @property
    def checkpoint(self) -> bytes:
        """The exact bytes signed."""
        return self.checkpoint_of(self.origin, self.size, self.root, self.timestamp)

    @classmethod
    def sign(cls, key: LogKey, size: int, root: bytes, timestamp: int, origin: str = ORIGIN) -> SignedTreeHead:
        return cls(
            origin, size, root, timestamp, key.key_id, key.sign(cls.checkpoint_of(origin, size, root, timestamp))
        )

    def verify(self, public_key: Any) -> bool:
        """Whether the signature is ``public_key``'s over this head."""
        from cryptography.exceptions import InvalidSignature

        try:
            public_key.verify(self.signature, self.checkpoint)
        except InvalidSignature:
            return False
        return True

    def to_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "tree_size": self.size,
            "root_hash": self.root.hex(),
            "timestamp": self.timestamp,
            "key_id": self.key_id,
            "signature": base64.b64encode(self.signature).decode("ascii"),
            "checkpoint": self.checkpoint.decode("utf-8"),
        }

    @classmethod
    def from_json(cls, data: Any) -> SignedTreeHead:
        """Read a head from its JSON form; RegistryError naming the field when it is malformed."""
        try:
            head = cls(
                str(data["origin"]),
                int(data["tree_size"]),
                bytes.fromhex(data["root_hash"]),
                int(data["timestamp"]),
                str(data["key_id"]),
                base64.b64decode(data["signature"], validate=True),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RegistryError(f"malformed signed tree head: {exc!r}") from None
        if len(head.root) != 32 or head.size < 0:
            raise RegistryError("malformed signed tree head: bad root hash or size")
        return head
