"""Every error portreg raises on purpose, in one tree.

::

    RegistryError                 anything portreg reports to a user
    ├── FormatError               a file or stream that cannot be read (file, line, field)
    │   └── TooLarge              input past a configured bound (bytes, depth, time)
    ├── RuleViolation             a value that breaks RFC 6335 (names the section)
    ├── InvalidQuery              a parameter of a question that cannot mean anything (names it)
    ├── NotFound                  a name, port, person or version the registry does not hold
    │   └── EmptyStore            the store holds no version yet (says how to fill it)
    ├── Conflict                  a write that collides with another (a concurrent import)
    │   └── Stale                 a write based on a version of the thing that is no longer current
    ├── PermissionDenied          the caller is not allowed to do this (HTTP 403)
    │   ├── SignInRequired        ... because nobody is signed in (HTTP 401)
    │   └── RateLimited           ... not now: too many attempts (HTTP 429, retry_after)
    └── StoreError                the database cannot be opened or used

The command line turns each into one line on standard error and an exit code of its
own (a subclass exits as its parent does), so that scripts can tell them apart:

====  =========================================================================
1     NotFound, EmptyStore — and the services' own "could not reach the server"
      errors (``SyncError``, ``VerifyError``), as for any RegistryError not below
2     InvalidQuery, and click's usage errors: the question is wrong
3     ``portreg verify``: the log failed a check (not an exception)
4     FormatError, TooLarge: the input cannot be read
5     RuleViolation: RFC 6335 refuses it
6     Conflict, Stale: another write came first; nothing was written
7     PermissionDenied, SignInRequired, RateLimited
8     StoreError: the database cannot be opened or used
====  =========================================================================

The web API turns each into a 4xx response with a JSON body (503 for StoreError and
EmptyStore). Anything else escaping is a bug.
"""

from __future__ import annotations

__all__ = [
    "Conflict",
    "EmptyStore",
    "FormatError",
    "InvalidQuery",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "RegistryError",
    "RuleViolation",
    "SignInRequired",
    "Stale",
    "StoreError",
    "TooLarge",
]


class RegistryError(Exception):
    """Base of every error portreg reports to a user."""

    #: The CLI's exit code for this kind of error.
    exit_code: int = 1


class FormatError(RegistryError):
    """Input that cannot be read: says which file, which line and which field, where known."""

    exit_code = 4  # the input cannot be read

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.line = line
        self.field = field
        super().__init__(str(self))

    def with_source(self, source: str) -> FormatError:
        """The same error, naming ``source`` where the reader did not know it."""
        if self.source is None:
            self.source = source
            self.args = (str(self),)
        return self

    def __str__(self) -> str:
        where = self.source or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        what = f"{self.field}: " if self.field else ""
        return f"{where}: {what}{self.message}"


class RuleViolation(RegistryError):
    """A value that breaks a rule of RFC 6335; ``section`` names the rule."""

    exit_code = 5  # RFC 6335 refuses it

    def __init__(self, message: str, *, section: str | None = None) -> None:
        self.message = message
        self.section = section
        super().__init__(f"{message} (RFC 6335 §{section})" if section else message)


class TooLarge(FormatError):
    """Input past a bound portreg sets on what it reads (size, nesting depth, time)."""


class InvalidQuery(RegistryError):
    """A parameter that cannot mean anything (``port=²``, ``page=0``); ``parameter`` names it."""

    exit_code = 2  # as a command-line usage error: the question, not the registry, is wrong

    def __init__(self, message: str, *, parameter: str | None = None) -> None:
        self.message = message
        self.parameter = parameter
        super().__init__(f"{parameter}: {message}" if parameter else message)


class NotFound(RegistryError):
    """The registry holds no such name, port, person or version.

    ``suggestions`` are what the asker may have meant (near names, the ranges holding a
    port), best first; every interface shows them the same way.
    """

    exit_code = 1  # as grep: nothing matched

    def __init__(self, message: str, *, suggestions: tuple[str, ...] | list[str] = ()) -> None:
        self.message = message
        self.suggestions = tuple(suggestions)
        super().__init__(message)


class EmptyStore(NotFound):
    """The store holds no version yet."""

    def __init__(self, message: str = "the store is empty: run `portreg sync` or `portreg import FILE`") -> None:
        super().__init__(message)


class Conflict(RegistryError):
    """A write collided with another one; the store is unchanged."""

    exit_code = 6  # another write came first; nothing was written


class Stale(Conflict):
    """A write based on a version of its object that is no longer current (HTTP 412)."""


class PermissionDenied(RegistryError):
    """The caller may not do this: lacking the role, or (subclasses) not signed in, too fast."""

    exit_code = 7  # not allowed, not signed in, or not now


class SignInRequired(PermissionDenied):
    """Nobody is signed in (no session, no token, or one that is no longer valid)."""


class RateLimited(PermissionDenied):
    """Too many attempts (failed sign-ins); ``retry_after`` says in how many seconds to try again."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class StoreError(RegistryError):
    """The database could not be opened, migrated or used."""

    exit_code = 8  # the database cannot be opened or used
