"""Domain exceptions: a machine code, a message for the user, and the field at fault when there is one.

Views and the API turn them into 4xx answers; nothing that a user can cause should surface as 500.
"""

from typing import Any


class DomainError(Exception):
    code = "invalid"
    status = 400

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None,
                 details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details
        if code:
            self.code = code

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": str(self.message)}
        if self.field:
            body["field"] = self.field
        if self.details is not None:
            body["details"] = self.details
        return body


class ValidationFailed(DomainError):
    code = "invalid"
    status = 400


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Conflict(DomainError):
    """The request is well formed but the current state does not allow it (e.g. a status transition)."""

    code = "conflict"
    status = 409


class ImportRejected(ValidationFailed):
    """A whole file refused: `details` lists every bad row as {"row", "column", "message"}."""

    code = "import_rejected"


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    status = 415
