"""Merchant portal errors (the rest of the tree is drawn in gateway.errors).

    GatewayError
    └── PortalError                the merchant portal or point of sale refused something
        ├── SignInFailed           any failed sign-in: wrong email or password, wrong code,
        │                          unknown, disabled or locked account (ONE message for all)
        ├── NotSignedIn            no session, or it expired: sign in again
        ├── CsrfRejected           a POST without the session's CSRF token (403)
        ├── RoleForbidden          the user's role may not see or do this (403)
        ├── InvalidForm            a form field is missing or malformed; names the field
        ├── InviteInvalid          an invite link unknown, used or expired (404)
        ├── UserExists             an account with this email already exists (409)
        └── PageNotFound           no such invoice / terminal / batch of this merchant (404)
Every status is the HTTP status the page is rendered with.
"""

from __future__ import annotations

from gateway.errors import GatewayError


class PortalError(GatewayError):
    """The merchant portal refused a request."""

    status = 400


class SignInFailed(PortalError):
    status = 401


class NotSignedIn(PortalError):
    status = 401


class CsrfRejected(PortalError):
    status = 403


class RoleForbidden(PortalError):
    status = 403


class InvalidForm(PortalError):
    """A bad form field; `field` names it; `word`, when set, is the key of the portal's words
    (gateway.portal.i18n) that says it to people in their language."""

    status = 400

    def __init__(self, field: str, message: str, word: str | None = None) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.word = word


class InviteInvalid(PortalError):
    status = 404


class UserExists(PortalError):
    status = 409


class PageNotFound(PortalError):
    status = 404
