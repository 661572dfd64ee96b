"""The station's Ed25519 evidence key: made once into the data dir, 0600; public half for all.

The private key signs audit checkpoints and evidence manifests; it never leaves the station. The
public key (PEM) and its fingerprint are what a unit prints and files with its records: anyone
holding them can check a packet or a checkpoint offline. The fingerprint is the SHA-256 of the
raw 32-byte public key, in hex groups of four.

>>> key = Ed25519PrivateKey.from_private_bytes(bytes(32))
>>> fingerprint(key.public_key())
'139e-3940-e64b-5491-7220-88d9-a0d7-4162-8fc8-26e0-9475-d341-a780-acde-3c4b-8070'
>>> verify(key.public_key(), b"x", sign(key, b"x"))
True
>>> verify(key.public_key(), b"y", sign(key, b"x"))
False
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from groundstation.errors import ConfigError
from groundstation.files import private_file

KEY_FILE = "evidence-signing-key.pem"
PUBLIC_KEY_FILE = "evidence-signing-key.pub.pem"


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The PKCS#8 PEM key at `path`, created (mode 0600, with its public half beside it) first."""
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        pem = b""
    if pem:
        private_file(path)
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except ValueError as exc:
            raise ConfigError(f"{path}: not a PEM private key ({exc})") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigError(f"{path}: not an Ed25519 key")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    path.with_name(PUBLIC_KEY_FILE).write_bytes(public_pem(key.public_key()))
    return key


def public_pem(public: Ed25519PublicKey) -> bytes:
    """The public key as SubjectPublicKeyInfo PEM (what ``openssl pkey -pubin`` reads)."""
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_pem(pem: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM, else :class:`ConfigError`."""
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise ConfigError(f"not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError("not an Ed25519 public key")
    return key


def fingerprint(public: Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, hex in groups of four (to read out over the phone)."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(raw).hexdigest()
    return "-".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    """The Ed25519 signature of `message`, base64."""
    return base64.b64encode(key.sign(message)).decode("ascii")


def verify(public: Ed25519PublicKey, message: bytes, signature: str) -> bool:
    """Whether `signature` (base64) is `public`'s signature of `message`."""
    try:
        public.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True
