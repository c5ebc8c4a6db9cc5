"""The client's network, the unit every rate limit and the sign-in lockout count: IPv6 clients
per /64. (How the address is read through TRUSTED_PROXY_COUNT: tests/letters/test_abuse.py.)"""

import pytest
from django.test import RequestFactory

from idei.client_address import client_network


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
