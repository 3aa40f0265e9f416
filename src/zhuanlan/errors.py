"""One exception tree for the whole project.

Every error names the resource it concerns (a URL, a setting's key, a row id) so that
the place that shows it to a person — CLI message, web form, a source's status — can
say what went wrong where. Causes are chained with ``raise … from``.
"""

from __future__ import annotations


class ZhuanlanError(Exception):
    """Base of every error zhuanlan raises on purpose."""

    def __init__(self, message: str, *, resource: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.resource = resource

    def __str__(self) -> str:
        if self.resource:
            return f"{self.resource}: {self.message}"
        return self.message


class ConfigError(ZhuanlanError):
    """A setting is missing, unknown or has a value of the wrong form."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message, resource=key)
        self.key = key


class FetchError(ZhuanlanError):
    """Fetching a URL failed. ``reason`` is a short machine-readable code.

    ``temporary`` tells whether trying again later may succeed (timeouts, 5xx);
    ``retry_after`` is how many seconds the server asked us to wait, when it did.
    """

    def __init__(self, url: str, reason: str, message: str, *, temporary: bool = False,
                 status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, resource=url)
        self.url = url
        self.reason = reason
        self.temporary = temporary
        self.status = status
        self.retry_after = retry_after


class BlockedAddressError(FetchError):
    """The URL resolves to a private, loopback or link-local address (SSRF guard)."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(url, "blocked_address", message, temporary=False)


class SourceError(ZhuanlanError):
    """A source's content cannot be read as what it claims to be (e.g. a broken feed)."""


class ExtractError(ZhuanlanError):
    """No article could be extracted from a page. ``reason`` says why."""

    def __init__(self, url: str, reason: str, message: str) -> None:
        super().__init__(message, resource=url)
        self.url = url
        self.reason = reason


class RuleError(ZhuanlanError):
    """A column's selection rule or schedule is invalid."""


class NotFoundError(ZhuanlanError):
    """A requested row does not exist."""


class InvalidTransition(ZhuanlanError):
    """A state change that the state's transition table does not allow."""


class StorageError(ZhuanlanError):
    """The database refused or failed an operation."""


class DeliveryError(ZhuanlanError):
    """Sending a message failed. ``permanent`` failures are not retried."""

    def __init__(self, message: str, *, resource: str | None = None,
                 permanent: bool = False) -> None:
        super().__init__(message, resource=resource)
        self.permanent = permanent


class AuthError(ZhuanlanError):
    """Who is asking is not known (no session, a wrong password, a revoked token)."""


class PermissionDenied(ZhuanlanError):
    """The user is known but their role does not allow the action."""


class RateLimited(ZhuanlanError):
    """Too many attempts (logins); ``retry_after`` is in seconds."""

    def __init__(self, message: str, *, retry_after: float, resource: str | None = None) -> None:
        super().__init__(message, resource=resource)
        self.retry_after = retry_after
