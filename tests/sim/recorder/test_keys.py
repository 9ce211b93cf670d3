"""Signing keys: created once per user with 0600, reloaded, clear errors for bad files."""

from __future__ import annotations

import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from sim.recorder import load_or_create_key, public_bytes


def test_keys_are_created_private_and_reloaded(tmp_path, monkeypatch):
    monkeypatch.delenv("KAV_SIGNING_KEY", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    key = load_or_create_key()
    path = tmp_path / "cfg" / "kav" / "signing-key.pem"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert public_bytes(load_or_create_key()) == public_bytes(key)
    assert public_bytes(load_or_create_key(path)) == public_bytes(key)
    assert len(public_bytes(key)) == 32


def test_the_environment_names_the_key(tmp_path, monkeypatch):
    path = tmp_path / "mine.pem"
    monkeypatch.setenv("KAV_SIGNING_KEY", str(path))
    key = load_or_create_key()
    assert path.exists() and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert public_bytes(load_or_create_key(path)) == public_bytes(key)


def test_bad_key_files_are_clear_errors(tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    with pytest.raises(ValueError, match="bad.pem: not an unencrypted PEM private key"):
        load_or_create_key(bad)
    with pytest.raises(ValueError, match="no such signing key"):
        load_or_create_key(tmp_path / "missing.pem")
    other = tmp_path / "ec.pem"
    other.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    with pytest.raises(ValueError, match="ec.pem: .*Ed25519"):
        load_or_create_key(other)
