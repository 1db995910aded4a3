"""gateway.http.csrf: the session token (form field or the named header) and the sign-in
form's double submit; a missing, short or other session's token never matches."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import make_mocked_request
from multidict import MultiDict, MultiDictProxy

from gateway.auth.tokens import new_token
from gateway.http import csrf


def form(**fields: Any) -> MultiDictProxy[Any]:
    return MultiDictProxy(MultiDict(fields))


def test_the_sessions_own_token_matches_and_any_other_does_not() -> None:
    mine, other = new_token(), new_token()
    request = make_mocked_request("POST", "/merchant/settings")
    assert csrf.session_token_ok(request, form(csrf_token=mine), mine)
    assert not csrf.session_token_ok(request, form(csrf_token=other), mine)
    assert not csrf.session_token_ok(request, form(), mine)
    assert not csrf.session_token_ok(request, form(csrf_token=mine[:10]), mine[:10])


def test_the_header_counts_only_where_the_caller_names_it() -> None:
    mine = new_token()
    request = make_mocked_request("POST", "/pos/charge", headers={"X-CSRF-Token": mine})
    assert csrf.session_token_ok(request, form(), mine, header="X-CSRF-Token")
    assert not csrf.session_token_ok(request, form(), mine)


def test_the_sign_in_form_needs_the_same_token_in_cookie_and_form() -> None:
    token = new_token()
    request = make_mocked_request("POST", "/admin/login",
                                  headers={"Cookie": f"ccp_admin_login={token}"})
    assert csrf.login_token_ok(request, form(csrf_token=token), "ccp_admin_login")
    assert not csrf.login_token_ok(request, form(csrf_token=new_token()), "ccp_admin_login")
    assert not csrf.login_token_ok(make_mocked_request("POST", "/admin/login"),
                                   form(csrf_token=token), "ccp_admin_login")
