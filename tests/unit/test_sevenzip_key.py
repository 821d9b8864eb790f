"""The faster 7zAES key derivation gives py7zr's own bytes (the archives it writes open with
the real 7-Zip: tests/integration/test_submission_package.py extracts them with ``7z``)."""

from __future__ import annotations

import py7zr
import pytest
from py7zr import helpers

from counselor_tui.reports import sevenzip_key
from counselor_tui.reports.package import PackagePasswordError, archive_bytes, open_package

PASSWORD = "Kq7v-3xPz-Wm9t-Hr2c".encode("utf-16LE")


@pytest.mark.parametrize("cycles", [0, 1, 6, 7, 8, 9, 12, 19, 0x3F])
@pytest.mark.parametrize("salt", [b"", bytes(range(16))])
def test_same_key_as_py7zr(cycles: int, salt: bytes) -> None:
    assert (sevenzip_key.calculate_key(PASSWORD, cycles, salt, "sha256")
            == helpers.calculate_key(PASSWORD, cycles, salt, "sha256"))


def test_a_password_longer_than_one_block_and_a_wrong_range() -> None:
    long_password = ("密码" * 90).encode("utf-16LE")
    assert (sevenzip_key.calculate_key(long_password, 10, b"s" * 8, "sha256")
            == helpers.calculate_key(long_password, 10, b"s" * 8, "sha256"))
    with pytest.raises(ValueError, match="out of range"):
        sevenzip_key.calculate_key(PASSWORD, 64, b"", "sha256")


def test_installed_in_py7zr_round_trips_and_refuses_a_wrong_password() -> None:
    data = archive_bytes({"a.txt": b"alpha", "b.txt": b"beta"}, "right password 1")
    assert py7zr.compressor.calculate_key is sevenzip_key.calculate_key
    assert open_package(data, "right password 1") == {"a.txt": b"alpha", "b.txt": b"beta"}
    with pytest.raises(PackagePasswordError):
        open_package(data, "wrong password 1")
