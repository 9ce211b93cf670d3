"""The Ed25519 key that signs recordings: given by the user, or created once per user."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ENV_KEY = "KAV_SIGNING_KEY"


def default_key_path() -> Path:
    """``$KAV_SIGNING_KEY``, else ``$XDG_CONFIG_HOME/kav/signing-key.pem`` (``~/.config``)."""
    if os.environ.get(ENV_KEY):
        return Path(os.environ[ENV_KEY])
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "kav" / "signing-key.pem"


def load_or_create_key(path: Path | None = None) -> Ed25519PrivateKey:
    """The key at ``path`` (must exist), or the default key, generated with permissions 0600
    on first use. Raises ValueError naming the file when it is not an Ed25519 PEM key."""
    given = path is not None
    path = Path(path) if given else default_key_path()
    if not path.exists():
        if given:
            raise ValueError(f"{path}: no such signing key file")
        _create(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: a {type(key).__name__}, but recordings are signed with "
                         "Ed25519")
    return key


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fh.fileno())
    try:
        # link, not rename: two processes creating the key at once keep the first one
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    """The raw 32-byte public key."""
    return key.public_key().public_bytes(serialization.Encoding.Raw,
                                         serialization.PublicFormat.Raw)
