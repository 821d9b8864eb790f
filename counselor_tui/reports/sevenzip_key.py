"""7-Zip's AES-256 key derivation, computed ~4x faster than py7zr's own (same bytes).

7zAES derives its key as SHA-256 over ``2**cycles`` copies of ``salt ‖ password ‖ counter``
(the counter as 8 bytes little-endian, 0, 1, 2, …; 7-Zip's ``7zAes.cpp``; ``cycles`` 19 when
writing). py7zr builds every copy as a Python object (524,288 of them per key, and a key is
derived for the data and again for the encrypted header), which made it the largest cost of
writing and of opening a package. :func:`calculate_key` builds one block of 256 copies once
and rewrites only the counter's upper bytes between blocks. :func:`install` makes py7zr use
it; ``tests/unit/test_sevenzip_key.py`` compares it with py7zr's for every path.
"""

from __future__ import annotations

import hashlib
from types import ModuleType

#: Copies of ``salt ‖ password ‖ counter`` per hashed block (the counter's low byte).
_BLOCK = 256
#: py7zr's value of ``cycles`` that means "no hashing": the key is the bytes themselves.
_RAW_CYCLES = 0x3F


def calculate_key(password: bytes, cycles: int, salt: bytes, digest: str) -> bytes:
    """The 32-byte key for ``password`` (UTF-16LE bytes), ``cycles`` (0–63: ``2**cycles``
    hashed copies; 63 means the key is ``salt ‖ password`` padded with zeros), ``salt`` and
    the hash name ``digest`` (``"sha256"``) — the signature and result of
    ``py7zr.helpers.calculate_key``. Raises ``ValueError`` for cycles outside 0–63."""
    if not 0 <= cycles <= _RAW_CYCLES:
        raise ValueError("7zAES cycles out of range")
    prefix = salt + password
    if cycles == _RAW_CYCLES:
        return (prefix + bytes(32))[:32]
    count = 1 << cycles
    per_block = min(count, _BLOCK)
    block = bytearray(b"".join(prefix + i.to_bytes(8, "little") for i in range(per_block)))
    width = len(prefix) + 8
    upper = len(prefix) + 1  # offset of the counter's second byte in the first copy
    hashed = hashlib.new(digest)
    previous = bytes(7)
    for high in range(count // per_block):
        high_bytes = high.to_bytes(7, "little")
        for k in range(7):
            if high_bytes[k] != previous[k]:
                block[upper + k::width] = bytes((high_bytes[k],)) * per_block
        previous = high_bytes
        hashed.update(block)
    return hashed.digest()[:32]


def install(compressor: ModuleType) -> None:
    """Make ``py7zr.compressor`` (the module given) derive keys with :func:`calculate_key`,
    unless it no longer uses py7zr's own function there (a py7zr release that changed it is
    then left alone, slower but right)."""
    from_library = getattr(compressor, "calculate_key", None)
    if from_library is not None and getattr(from_library, "__module__", "") == "py7zr.helpers":
        compressor.calculate_key = calculate_key  # type: ignore[attr-defined]
