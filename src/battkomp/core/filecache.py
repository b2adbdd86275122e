"""The site's default shared cache: Django's file cache without its zlib compression.

Django's ``FileBasedCache`` zlib-compresses every value when it writes it and decompresses it on
every read. What battkomp keeps there is mostly compressed already (anonymous pages are stored
gzip-compressed, XLSX files are ZIP archives), so the compression saves little room and the
decompression was most of what a cached page cost: a dashboard is half a megabyte of HTML, and
reading it back took longer than the rest of the request. This backend writes values pickled as
they are, and still reads entries Django's backend wrote (a zlib stream starts with ``x``, a
pickle with ``\\x80``), so a cache folder carried over from an earlier version keeps working.
"""

from __future__ import annotations

import pickle
import zlib
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.files import locks


def _loads(data: bytes) -> Any:
    if data[:1] == b"x":  # written by Django's FileBasedCache (zlib)
        data = zlib.decompress(data)
    return pickle.loads(data)


class FileCache(FileBasedCache):
    """``FileBasedCache`` storing values uncompressed (see the module's docstring)."""

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        fname = self._key_to_file(key, version)
        try:
            with open(fname, "rb") as f:
                if not self._is_expired(f):
                    return _loads(f.read())
        except FileNotFoundError:
            pass
        return default

    def _write_content(self, file: Any, timeout: Any, value: Any) -> None:
        expiry = self.get_backend_timeout(timeout)
        file.write(pickle.dumps(expiry, self.pickle_protocol))
        file.write(pickle.dumps(value, self.pickle_protocol))

    def touch(self, key: str, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        try:
            with open(self._key_to_file(key, version), "r+b") as f:
                try:
                    locks.lock(f, locks.LOCK_EX)
                    if self._is_expired(f):
                        return False
                    previous_value = _loads(f.read())
                    f.seek(0)
                    f.truncate()
                    self._write_content(f, timeout, previous_value)
                    return True
                finally:
                    locks.unlock(f)
        except FileNotFoundError:
            return False
