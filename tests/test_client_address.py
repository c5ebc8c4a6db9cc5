"""The sign-in lockout and password-reset limits read the client's address exactly as the sign
form's rate limits do (TRUSTED_PROXY_COUNT), and count IPv6 clients per /64."""

import pytest
from django.test import RequestFactory

from idei.client_address import client_ip, client_network
from letters.signing import abuse

CASES = [
    ("198.51.100.7", None),
    ("10.0.0.2", "198.51.100.7"),
    ("10.0.0.2", "192.0.2.1, 198.51.100.7"),
    ("10.0.0.2", "192.0.2.1, not-an-address"),
    ("10.0.0.2", ""),
    ("10.0.0.2", " , ,"),
    ("2001:db8::1", "2001:db8:1:2::3"),
    ("10.0.0.2", "<script>, 198.51.100.7, 203.0.113.9"),
]


@pytest.mark.parametrize("trusted", [0, 1, 2])
@pytest.mark.parametrize(("remote", "forwarded"), CASES)
def test_the_same_address_as_the_sign_form(settings, trusted, remote, forwarded):
    settings.TRUSTED_PROXY_COUNT = trusted
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().post("/accounts/login/", **headers)
    assert client_ip(request) == abuse.client_ip(request)


@pytest.mark.parametrize(
    ("remote", "network"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("", "0.0.0.0"),  # noqa: S104 - no usable address: all such requests count together
    ],
)
def test_the_network_counted(remote, network):
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR=remote)
    assert client_network(request) == network
