"""Admin console errors (the rest of the tree is drawn in gateway.errors).

    GatewayError
    └── AdminError                 the zone administrator console refused something
        ├── LoginFailed            wrong username or password, or locked (one message for all)
        │   └── LoginThrottled     too many failed sign-ins from one client address (429)
        ├── NotSignedIn            no session, or it expired: sign in again
        ├── CsrfRejected           a POST without the session's CSRF token (HTTP 403)
        ├── RoleForbidden          an auditor (read-only) tried to change something (403)
        ├── InvalidForm            a form field is missing or malformed; names the field
        ├── PageNotFound           no such merchant / invoice / batch / run to show (404)
        ├── AdminUserExists        `admin create` with a username already taken
        └── ActionRefused          a domain service refused the action (its message, 409)

Errors raised by the services the console drives (merchants, settlement, reconciliation)
keep their own classes; the console maps them to a message on the page it re-renders.
"""

from __future__ import annotations

from gateway.errors import GatewayError


class AdminError(GatewayError):
    """The admin console refused a request."""

    status = 400


class LoginFailed(AdminError):
    """Wrong username or password; never says which of the two."""

    status = 401


class LoginThrottled(LoginFailed):
    """Too many failed sign-ins from one client address: wait for the window to pass."""

    status = 429


class NotSignedIn(AdminError):
    """No valid session: the browser is sent to the sign-in page."""

    status = 401


class CsrfRejected(AdminError):
    """A POST arrived without the session's CSRF token (or with a wrong one)."""

    status = 403


class RoleForbidden(AdminError):
    """The signed-in user's role may not do this (auditors only read)."""

    status = 403


class InvalidForm(AdminError):
    """A form field is missing or malformed; the message names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class PageNotFound(AdminError):
    """The thing to show does not exist."""

    status = 404


class AdminUserExists(AdminError):
    """An administrator with that username already exists."""

    status = 409


class ActionRefused(AdminError):
    """The service behind a page refused the action (illegal state, bad bank details, ...)."""

    status = 409
