"""The client's address through a configured number of trusted proxies (``core.client``)."""

import pytest
from django.test import RequestFactory

from core.client import client_address, parse_address


def address(hops, forwarded_for=None, remote="10.0.0.2", settings=None):
    settings.TRUSTED_PROXY_HOPS = hops
    headers = {} if forwarded_for is None else {"HTTP_X_FORWARDED_FOR": forwarded_for}
    return client_address(RequestFactory().get("/", REMOTE_ADDR=remote, **headers))


def test_without_a_proxy_the_header_is_never_trusted(settings):
    # Anybody can send X-Forwarded-For: with 0 hops a forged one changes nothing.
    assert address(0, "203.0.113.9", remote="198.51.100.7", settings=settings) == "198.51.100.7"
    assert address(0, None, remote="198.51.100.7", settings=settings) == "198.51.100.7"


def test_one_proxy_takes_the_last_entry(settings):
    assert address(1, "203.0.113.9", settings=settings) == "203.0.113.9"
    # What the client sent stands left of what the proxy added.
    assert address(1, "1.2.3.4, 203.0.113.9", settings=settings) == "203.0.113.9"
    assert address(1, "1.2.3.4,203.0.113.9", settings=settings) == "203.0.113.9"


def test_two_proxies_take_the_second_entry_from_the_right(settings):
    # client -> outer proxy (adds the client) -> inner proxy (adds the outer proxy) -> server
    assert address(2, "203.0.113.9, 10.0.0.1", settings=settings) == "203.0.113.9"
    assert address(2, "6.6.6.6, 203.0.113.9, 10.0.0.1", settings=settings) == "203.0.113.9"


def test_fewer_entries_than_hops_take_the_leftmost_and_no_header_the_remote_address(settings):
    # Through the inner proxy only (from the local network): its one entry is the client.
    assert address(2, "192.168.5.5", settings=settings) == "192.168.5.5"
    assert address(3, "192.168.5.5, 10.0.0.1", settings=settings) == "192.168.5.5"
    # Straight to the server (a health check): no header.
    assert address(2, None, remote="127.0.0.1", settings=settings) == "127.0.0.1"
    assert address(1, "  ", remote="127.0.0.1", settings=settings) == "127.0.0.1"


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("203.0.113.9:4711", "203.0.113.9"),
        ("[2001:DB8::1]:4711", "2001:db8::1"),
        ("2001:0db8:0000::0001", "2001:db8::1"),
        (" 203.0.113.9 ", "203.0.113.9"),
        ("unknown", None),
        ("", None),
        ("203.0.113.999", None),
        ("<script>", None),
        ("_hidden", None),
    ],
)
def test_entries_are_parsed_into_their_normal_form(entry, expected):
    assert parse_address(entry) == expected


@pytest.mark.parametrize(
    "forwarded_for", ["1.2.3.4, unknown", "1.2.3.4, ", "1.2.3.4,, garbage;x", "nonsense"]
)
def test_a_malformed_entry_counts_as_the_nearest_proxy(settings, forwarded_for, caplog):
    # A proxy that writes no address (misconfigured): the request counts as coming from the
    # proxy itself, as without the header, and the log says why.
    assert address(1, forwarded_for, remote="10.0.0.2", settings=settings) == "10.0.0.2"
    assert "X-Forwarded-For" in caplog.text


def test_entries_left_of_the_trusted_ones_may_be_malformed(settings):
    assert address(1, "garbage, , 203.0.113.9", settings=settings) == "203.0.113.9"


def test_a_missing_remote_address_is_unknown(settings):
    settings.TRUSTED_PROXY_HOPS = 0
    request = RequestFactory().get("/")
    request.META.pop("REMOTE_ADDR", None)
    assert client_address(request) == "unknown"
