"""Signed links: round trip, forgery, purpose, key."""

from __future__ import annotations

import pytest

from zhuanlan.errors import AuthError
from zhuanlan.links import READER, UNSUBSCRIBE, LinkSigner


def test_round_trip_and_url_safety():
    signer = LinkSigner("k" * 40)
    token = signer.sign(READER, {"s": 12345})
    assert signer.verify(READER, token) == {"s": 12345}
    assert all(c.isalnum() or c in "-_." for c in token)
    assert signer.sign(READER, {"s": 12345}) == token        # stable: same link each push


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),       # MAC changed
    lambda t: "eyJzIjo5OTl9" + t[t.index("."):],              # payload swapped ({"s":999})
    lambda t: t.replace(".", ""),                             # no separator
    lambda t: t + "x" * 600,                                  # too long
    lambda t: "",
])
def test_forgeries_are_refused(mangle):
    signer = LinkSigner("k" * 40)
    with pytest.raises(AuthError):
        signer.verify(READER, mangle(signer.sign(READER, {"s": 1})))


def test_purpose_and_key_bind_the_token():
    signer = LinkSigner("k" * 40)
    token = signer.sign(UNSUBSCRIBE, {"s": 1, "c": 2})
    with pytest.raises(AuthError):
        signer.verify(READER, token)
    with pytest.raises(AuthError):
        LinkSigner("another key").verify(UNSUBSCRIBE, token)
