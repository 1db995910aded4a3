"""Gateway errors: the `GatewayError` branch of the hierarchy drawn in `settlement.errors`.

    GatewayError
    ├── ConfigError            a bad environment variable; the message names it
    ├── DatabaseError          embedded cluster control and migrations
    │   └── MigrationError     a changed applied migration, a failing file
    ├── IllegalStateTransition a status move its lifecycle's table does not list (names
    │                          `current` and `target`; each domain derives its own)
    ├── ChainError             talking to a chain node
    │   ├── RpcError           the node answered with a JSON-RPC error, HTTP error or garbage
    │   └── RpcTimeout         the node did not answer in time
    └── ApiError               an HTTP answer in the one error shape
        ├── InvalidRequest     400 invalid_request_error
        ├── Unauthorized       401 authentication_error
        ├── Forbidden          403 permission_error
        ├── NotFound           404 invalid_request_error / resource_missing
        ├── Conflict           409 invalid_request_error
        ├── PayloadTooLarge    413 invalid_request_error / body_too_large
        ├── UnsupportedMediaType 415 invalid_request_error (a JSON API POST not sent as JSON)
        ├── Unprocessable      422 invalid_request_error
        ├── RateLimited        429 rate_limit_error (carries retry_after seconds)
        └── ServiceUnavailable 503 api_error
"""

from __future__ import annotations

from typing import Any

from settlement.errors import CryptoCityError


class GatewayError(CryptoCityError):
    """Something facing the outside world failed."""


class ConfigError(GatewayError):
    """Configuration is invalid; the message names the variable."""


class DatabaseError(GatewayError):
    """The database could not be started, reached or migrated."""


class MigrationError(DatabaseError):
    """A migration failed or an applied migration file was changed."""


class IllegalStateTransition(GatewayError):
    """A status move that its lifecycle's table (gateway.states.Transitions) does not list.

    `current` and `target` are the two statuses as given (None when the error is raised for
    another reason, such as a concurrent change found by a guarded UPDATE)."""

    def __init__(self, message: str, *, current: str | None = None,
                 target: str | None = None) -> None:
        super().__init__(message)
        self.current = current
        self.target = target


class ChainError(GatewayError):
    """Talking to a chain node failed."""


class RpcError(ChainError):
    """A node answered with an error, a non-2xx status or malformed JSON."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class RpcTimeout(ChainError):
    """A node did not answer within the configured timeout."""


class ApiError(GatewayError):
    """An error answered over HTTP as {"error": {"type", "code", "message", "param"}}."""

    status: int = 400
    type: str = "invalid_request_error"
    default_code: str = "invalid_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.param = param
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "type": self.type,
                "code": self.code,
                "message": self.message,
                "param": self.param,
            }
        }


class InvalidRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401
    type = "authentication_error"
    default_code = "invalid_api_key"


class Forbidden(ApiError):
    status = 403
    type = "permission_error"
    default_code = "forbidden"


class NotFound(ApiError):
    status = 404
    default_code = "resource_missing"


class MethodNotAllowed(ApiError):
    status = 405
    default_code = "method_not_allowed"


class Conflict(ApiError):
    status = 409
    default_code = "conflict"


class PayloadTooLarge(ApiError):
    status = 413
    default_code = "body_too_large"


class UnsupportedMediaType(ApiError):
    status = 415
    default_code = "unsupported_media_type"


class Unprocessable(ApiError):
    status = 422
    default_code = "unprocessable"


class RateLimited(ApiError):
    status = 429
    type = "rate_limit_error"
    default_code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


class ServiceUnavailable(ApiError):
    status = 503
    type = "api_error"
    default_code = "service_unavailable"


class InternalError(ApiError):
    status = 500
    type = "api_error"
    default_code = "internal_error"
