"""Exception hierarchy of devzone.

Every error a user can cause derives from :class:`DevzoneError` and from the built-in exception of its
kind, so that callers may catch either. Messages say what is wrong, with the actual values, and how to
fix it (see ``docs/errors.md``).
"""

from __future__ import annotations

__all__ = [
    "CRSError",
    "DataError",
    "DevzoneError",
    "EncodingError",
    "InputError",
    "ProfileError",
    "SchemaError",
]


class DevzoneError(Exception):
    """Base class of every error devzone raises on purpose."""


class InputError(DevzoneError, OSError):
    """A file or layer cannot be found or opened."""


class EncodingError(DevzoneError, UnicodeError):
    """Attribute text cannot be decoded with the encoding given or detected."""


class CRSError(DevzoneError, ValueError):
    """A coordinate reference system is missing, unsuitable or inconsistent."""


class SchemaError(DevzoneError, KeyError):
    """A field is missing or has the wrong type; the message lists the fields present."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DataError(DevzoneError, ValueError):
    """The values in a layer cannot be used (no polygons, empty layer, bad dates ...)."""


class ProfileError(DevzoneError, ValueError):
    """A rule profile or project file is malformed."""
