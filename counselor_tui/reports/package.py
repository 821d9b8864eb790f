"""The signed, encrypted submission package (DESIGN §8 "Package"; security tests 18, 19).

A package is a 7z archive (py7zr) compressed with LZMA2 and encrypted with 7zAES (AES-256,
key from the password by 7-Zip's SHA-256 key derivation), *with encrypted headers*, so
nothing — not even a file name — is readable without the password. It opens with 7-Zip,
p7zip (``7z x -pPASSWORD``), WinRAR or Bandizip. Inside:

* ``submission.json`` — the exact document (``docs/submission-json.md``), the input of
  consolidation; it never leaves the package;
* ``submission.docx``, ``submission.xlsx``, ``submission.csv`` — the suppressed tables;
* ``tables/附件NN-<table id>.csv`` — each suppressed table as data (one row per record);
* ``manifest.json`` — format, period, scope, version, software version, audit-chain head,
  the SHA-256 and size of each file above, and the signer (algorithm ``Ed25519``, raw public
  key in hex, fingerprint = SHA-256 of the raw public key in hex);
* ``manifest.sig`` — the Ed25519 signature (RFC 8032) of the exact bytes of
  ``manifest.json``, in hex with a trailing newline.

:func:`write_package` builds the archive in memory and writes it to a temporary file in the
target folder, fsyncs it and renames it into place: a failure leaves neither a truncated
package nor a changed earlier one. :func:`open_package` extracts in memory only (py7zr's
``BytesIOFactory``): no plaintext touches the disk, and a wrong password or damaged file gives
our own message. :func:`verify` checks password, signature and hashes, and — given the
fingerprints the receiving office trusts — the signer.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from counselor_tui.domain.passphrase import PassphraseRejected, check_new_passphrase
from counselor_tui.errors import InvalidInput, ServiceError
from counselor_tui.i18n import _
from counselor_tui.reports import input_limits as limits
from counselor_tui.reports.document import canonical_bytes, sha256_hex

FORMAT_ID = "counselor-tui/package"
FORMAT_VERSION = 1
JSON_NAME = "submission.json"
DOCX_NAME = "submission.docx"
XLSX_NAME = "submission.xlsx"
CSV_NAME = "submission.csv"
CONTENT_FILES: tuple[str, ...] = (JSON_NAME, DOCX_NAME, XLSX_NAME, CSV_NAME)
MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.sig"
#: Largest total size extracted in memory (a submission is well under a megabyte).
EXTRACT_LIMIT = 64 * 1024 * 1024
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class PackageError(ServiceError):
    """The package cannot be used: integrity or signature failure (exit code 1)."""


class PackagePasswordError(ServiceError):
    """The password does not open the package, or the file is damaged (exit code 2)."""

    exit_code = 2


class UntrustedSigner(PackageError):
    """The package verifies, but its signer is not one of the expected vaults."""


@dataclass(frozen=True)
class Signer:
    """The vault's signing key: raw Ed25519 private and public key and the fingerprint;
    ``trust_root``: the fingerprint of the vault's role-grant root (issue 11), carried in
    the manifest so that ``check --anchor`` can tell a replaced grant chain ("" for none)."""

    private_key: bytes = field(repr=False)
    public_key: bytes
    fingerprint: str
    trust_root: str = ""


@dataclass(frozen=True)
class VerifyResult:
    """A verified package: the signer's ``fingerprint``, the parsed ``manifest`` and the
    extracted ``files`` (name → bytes, in memory). ``trusted`` is True when a trust list was
    given and holds the signer, None when no list was given."""

    fingerprint: str
    manifest: dict[str, Any]
    files: Mapping[str, bytes] = field(repr=False)
    trusted: bool | None = None


def fingerprint_of(public_key: bytes) -> str:
    """SHA-256 of a raw public key, lower-case hex (as
    :func:`counselor_tui.services.lifecycle.create_vault` stores it)."""
    return hashlib.sha256(public_key).hexdigest()


def normalize_fingerprint(text: str) -> str:
    """``text`` without spaces and colons, lower case; :class:`InvalidInput` unless it is 64
    hex digits."""
    cleaned = "".join(ch for ch in text.strip().lower() if ch not in " :-")
    if len(cleaned) != 64 or any(ch not in "0123456789abcdef" for ch in cleaned):
        raise InvalidInput(
            _("A fingerprint is 64 hexadecimal digits (as 'submission verify' prints it)."))
    return cleaned


def generate_password(groups: int = 6) -> str:
    """A random package password from :mod:`secrets`: ``groups`` groups of four lower-case
    letters and digits without look-alikes (``0 o 1 l i``), e.g. ``k7pq-2xmh-…``; six groups
    carry about 119 bits."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(groups))


def check_password(password: str) -> None:
    """Refuse an empty, blank or weak package password (same rule as vault passphrases,
    :mod:`counselor_tui.domain.passphrase`) with :class:`InvalidInput`."""
    try:
        check_new_passphrase(password)
    except PassphraseRejected as exc:
        raise InvalidInput(str(exc)) from None


def build_manifest(
    files: Mapping[str, bytes],
    document: Mapping[str, Any],
    *,
    public_key: bytes,
    created_at: str,
    trust_root: str = "",
) -> bytes:
    """The canonical ``manifest.json`` bytes for ``files`` (name → bytes) of ``document``;
    ``trust_root`` (the role-grant root fingerprint) is added when given."""
    manifest = {
        "format": FORMAT_ID,
        "format_version": FORMAT_VERSION,
        "created_at": created_at,
        "period": document["period"],
        "scope": document["scope"],
        "issuer": document.get("issuer", {}),
        "version": document.get("submission", {}).get("version"),
        "software_version": document["integrity"]["software_version"],
        "audit_head": document["integrity"]["audit_head"],
        "content_sha256": sha256_hex(files[JSON_NAME]),
        "files": {name: {"sha256": sha256_hex(data), "bytes": len(data)}
                  for name, data in sorted(files.items())},
        "signer": {"algorithm": "Ed25519", "public_key": public_key.hex(),
                   "fingerprint": fingerprint_of(public_key)},
        **({"trust_root": trust_root} if trust_root else {}),
    }
    return canonical_bytes(manifest)


def sign(manifest: bytes, signer: Signer) -> bytes:
    """``manifest.sig``: the hex Ed25519 signature of ``manifest`` and a newline."""
    key = Ed25519PrivateKey.from_private_bytes(signer.private_key)
    return (key.sign(manifest).hex() + "\n").encode("ascii")


def archive_bytes(files: Mapping[str, bytes], password: str) -> bytes:
    """A 7z archive of ``files`` in memory, AES-256 encrypted with encrypted headers."""
    import py7zr  # loaded with the first package, not at start-up (issue 18)

    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w", password=password, header_encryption=True) as z:
        for name in sorted(files):
            z.writestr(files[name], name)
    return buf.getvalue()


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(target: Path, data: bytes, *, overwrite: bool = True) -> Path:
    """Write ``data`` to ``target`` through a temporary file in the same folder (mode 0600,
    fsynced, renamed into place). On an ``OSError`` the temporary file is removed, any earlier
    ``target`` is untouched and :class:`ServiceError` names the error (not the content).

    ``overwrite=False``: an existing ``target`` is never replaced — :class:`FileExistsError`
    is raised (checked before writing, and again at the rename: a hard link where the file
    system has them, so a file appearing meanwhile is not replaced either)."""
    target = Path(target)
    if not overwrite and target.exists():
        raise FileExistsError(str(target))
    tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, target)
        else:
            _place_new(tmp, target)
        _fsync_dir(target.parent)
    except FileExistsError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise ServiceError(
            _("The package could not be written ({error}); nothing was replaced.").format(
                error=exc.strerror or type(exc).__name__)
        ) from exc
    return target


def make_package(
    files: Mapping[str, bytes],
    document: Mapping[str, Any],
    signer: Signer,
    password: str,
    *,
    created_at: str,
) -> bytes:
    """The package bytes: ``files`` plus the manifest and its signature, encrypted."""
    missing = [name for name in CONTENT_FILES if name not in files]
    if missing:
        raise ValueError(f"package lacks {missing}")
    manifest = build_manifest(files, document, public_key=signer.public_key,
                              created_at=created_at, trust_root=signer.trust_root)
    everything = dict(files)
    everything[MANIFEST_NAME] = manifest
    everything[SIGNATURE_NAME] = sign(manifest, signer)
    return archive_bytes(everything, password)


def _place_new(tmp: Path, target: Path) -> None:
    """Move ``tmp`` to ``target`` unless ``target`` exists (:class:`FileExistsError`)."""
    try:
        os.link(tmp, target)  # fails with EEXIST instead of replacing
    except FileExistsError:
        raise
    except OSError:  # no hard links here (FAT/exFAT USB sticks): check, then rename
        if target.exists():
            raise FileExistsError(str(target)) from None
        os.replace(tmp, target)
        return
    tmp.unlink()


def write_package(target: Path, data: bytes, *, overwrite: bool = True) -> Path:
    """Write package bytes to ``target`` atomically (see :func:`write_atomic`); with
    ``overwrite=False`` an existing file is never replaced (:class:`FileExistsError`)."""
    return write_atomic(target, data, overwrite=overwrite)


def _wrong_password() -> PackagePasswordError:
    return PackagePasswordError(_(
        "The package does not open with this password, or the file is damaged. Check the "
        "password (it is case-sensitive); if it is right, ask the sender for the package "
        "again."))


def open_package(data: bytes, password: str) -> dict[str, bytes]:
    """Every file of the package, extracted in memory (name → bytes).

    Raises :class:`PackagePasswordError` for a wrong password, a damaged or truncated file or
    something that is not a 7z archive (py7zr's own exceptions never reach the caller).
    """
    import py7zr  # loaded with the first package, not at start-up (issue 18)
    from py7zr.io import BytesIOFactory

    if not password:
        raise _wrong_password()
    try:
        factory = BytesIOFactory(EXTRACT_LIMIT)
        with py7zr.SevenZipFile(io.BytesIO(data), "r", password=password) as z:
            z.extractall(factory=factory)
        files: dict[str, bytes] = {}
        for name, product in factory.products.items():
            product.seek(0)
            files[str(name)] = bytes(product.read())
    except MemoryError:
        raise
    except Exception:  # py7zr raises many types for a wrong key: all mean the same here
        raise _wrong_password() from None
    return files


def _invalid(message: str) -> PackageError:
    return PackageError(message)


def verify_files(files: Mapping[str, bytes],
                 trusted_fingerprints: Iterable[str] | None = None) -> VerifyResult:
    """Check extracted ``files``: manifest present and well-formed, its public key matching
    its fingerprint, its Ed25519 signature valid, every listed file present with the listed
    SHA-256 and size and no unlisted file; then, when ``trusted_fingerprints`` is given, that
    the signer is one of them. Raises :class:`PackageError` / :class:`UntrustedSigner`."""
    manifest_bytes = files.get(MANIFEST_NAME)
    signature_text = files.get(SIGNATURE_NAME)
    if manifest_bytes is None or signature_text is None:
        raise _invalid(_("The package has no signed manifest: it was not made by "
                         "counselor-tui, or it was altered."))
    try:
        manifest = json.loads(manifest_bytes.decode("utf-8"))
        signer = manifest["signer"]
        public_key = bytes.fromhex(signer["public_key"])
        fingerprint = str(signer["fingerprint"]).lower()
        signature = bytes.fromhex(signature_text.decode("ascii").strip())
        listed = manifest["files"]
        if manifest.get("format") != FORMAT_ID or not isinstance(listed, dict):
            raise ValueError("format")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise _invalid(_("The package's manifest is malformed.")) from None
    if fingerprint_of(public_key) != fingerprint:
        raise _invalid(_("The manifest's public key does not match its signer fingerprint: "
                         "the package was altered."))
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, manifest_bytes)
    except (InvalidSignature, ValueError):
        raise _invalid(_("The manifest's signature does not verify: the package was altered "
                         "or signed by another key.")) from None
    present = {n for n in files if n not in (MANIFEST_NAME, SIGNATURE_NAME)}
    if present != set(listed):
        raise _invalid(_("The package's files differ from those its manifest lists."))
    for name in sorted(listed):
        entry = listed[name]
        data = files[name]
        if not isinstance(entry, dict) or entry.get("sha256") != sha256_hex(data) \
                or entry.get("bytes") != len(data):
            raise _invalid(_("The file {name} does not match its hash in the manifest: the "
                             "package was altered.").format(name=name))
    if manifest.get("content_sha256") != sha256_hex(files.get(JSON_NAME, b"")):
        raise _invalid(_("The submission file does not match the manifest."))
    trusted: bool | None = None
    if trusted_fingerprints is not None:
        expected = {normalize_fingerprint(f) for f in trusted_fingerprints}
        if fingerprint not in expected:
            raise UntrustedSigner(_(
                "The package is signed by {fingerprint}, which is not an expected signer: it "
                "comes from another vault.").format(fingerprint=fingerprint))
        trusted = True
    return VerifyResult(fingerprint, manifest, dict(files), trusted)


def verify(package: Path | bytes, password: str,
           trusted_fingerprints: Iterable[str] | None = None) -> VerifyResult:
    """Open and verify a package file (or its bytes) with ``password``.

    Order: the password opens it (else :class:`PackagePasswordError`), then
    :func:`verify_files`. Nothing is written anywhere. Raises :class:`PackageError` when the
    file cannot be read.
    """
    if isinstance(package, bytes):
        data = package
    else:
        try:
            data = limits.read_regular_file(package, limits.PACKAGE_BYTES)
        except limits.InputRefused as exc:
            raise PackagePasswordError(str(exc)) from None
        except OSError as exc:
            raise PackagePasswordError(_("Cannot read the package {path} ({error}).").format(
                path=package, error=exc.strerror or type(exc).__name__)) from None
    return verify_files(open_package(data, password), trusted_fingerprints)


def package_name(document: Mapping[str, Any]) -> str:
    """File name of a package: ``submission-2026-11-bureau-v1.7z`` (ASCII; the period label,
    the scope code and the version — nothing else is visible outside the archive)."""
    label = document["period"]["label"]
    scope = document["scope"]["code"]
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_" for ch in scope)
    version = document.get("submission", {}).get("version") or 0
    return f"submission-{label}-{safe}-v{version}.7z"
