"""The signature scheme: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>."""

from __future__ import annotations

import hashlib
import hmac

from gateway.webhooks import signing

SECRET = "whsec_test"
BODY = b'{"id":"evt_1","object":"event"}'


def test_header_is_hmac_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert signing.header(SECRET, 1700000000, BODY) == f"t=1700000000,v1={expected}"


def test_verify_accepts_fresh_and_refuses_tampered_stale_or_wrong_secret() -> None:
    value = signing.header(SECRET, 1700000000, BODY)
    assert signing.verify(SECRET, value, BODY, now=1700000100)
    assert not signing.verify(SECRET, value, BODY + b" ", now=1700000100)
    assert not signing.verify("whsec_other", value, BODY, now=1700000100)
    assert not signing.verify(SECRET, value, BODY, now=1700000000 + 301)
    assert not signing.verify(SECRET, "v1=abc", BODY, now=1700000000)
    assert not signing.verify(SECRET, "", BODY, now=1700000000)


def test_any_of_several_v1_signatures_matches() -> None:
    good = signing.compute(SECRET, 1700000000, BODY)
    value = f"t=1700000000,v1={'0' * 64},v0=legacy,v1={good}"
    assert signing.parse_header(value) == (1700000000, ["0" * 64, good])
    assert signing.verify(SECRET, value, BODY, now=1700000000)


def test_new_secret_shape() -> None:
    first, second = signing.new_secret(), signing.new_secret()
    assert first.startswith("whsec_") and len(first) == 38 and first != second
