"""The client's address, directly or behind the reverse proxies named in
JINGSAI_TRUSTED_PROXIES (login throttling, exam IP ranges and the audit log use it)."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from jingsai.core.middleware import client_ip


def request(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(request("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


def test_behind_a_trusted_proxy_the_forwarded_address_counts(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    assert client_ip(request("127.0.0.1", "198.51.100.1")) == "198.51.100.1"
    # Two proxies of ours in a row: the last address neither of them is.
    assert client_ip(request("127.0.0.1", "198.51.100.1, 10.1.2.3")) == "198.51.100.1"
    # A client cannot choose its address by sending its own header: only the last untrusted hop counts.
    assert client_ip(request("127.0.0.1", "192.0.2.99, 198.51.100.1")) == "198.51.100.1"
    # No header, or rubbish in it: the proxy's own address, never a made-up one.
    assert client_ip(request("127.0.0.1")) == "127.0.0.1"
    assert client_ip(request("127.0.0.1", "not-an-address")) == "127.0.0.1"
    # A request that does not come from a trusted proxy keeps its own address.
    assert client_ip(request("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


def test_a_bad_proxy_setting_is_named(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "proxy.example"]
    with pytest.raises(ImproperlyConfigured, match=r"proxy\.example"):
        client_ip(request("127.0.0.1", "198.51.100.1"))
