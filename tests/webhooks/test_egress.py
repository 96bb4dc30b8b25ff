"""webhooks.egress: which addresses a webhook may go to, resolution asked once and pinned, no redirects,
and errors a tenant can act on. The resolver is patched at its boundary (socket.getaddrinfo)."""

from __future__ import annotations

import ipaddress
import socket
import ssl

import pytest

from tests.webhooks.receiver import Answering
from webhooks import egress
from webhooks.egress import PRIVATE_ADDRESS, DeliveryError, address_is_public, host_is_private

BLOCKED = [
    "127.0.0.1",  # loopback
    "127.255.255.254",
    "10.0.0.1",  # private
    "172.16.0.1",
    "172.31.255.254",
    "192.168.1.1",
    "169.254.169.254",  # link-local: cloud metadata
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "100.127.255.254",
    "0.0.0.0",  # unspecified
    "0.1.2.3",
    "192.0.0.8",  # IETF protocol assignments
    "192.0.2.1",  # documentation
    "198.18.0.1",  # benchmarking
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "::1",  # IPv6 loopback
    "::",  # unspecified
    "fe80::1",  # link-local
    "fc00::1",  # unique local (fc00::/7)
    "fd12:3456::1",
    "fec0::1",  # site-local (deprecated)
    "ff02::1",  # multicast
    "2001:db8::1",  # documentation
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "::ffff:8.8.8.8",  # mapped, even of a public address
    "::127.0.0.1",  # IPv4-compatible
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "2001::1",  # Teredo
]
PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "100.128.0.1",
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
]


@pytest.mark.parametrize("address", BLOCKED)
def test_addresses_that_are_not_globally_routable_are_refused(address):
    assert not address_is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address):
    assert address_is_public(ipaddress.ip_address(address))


def _answers(*addresses: str, port: int = 443):
    return [
        (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, port, 0, 0))
        if ":" in a
        else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
        for a in addresses
    ]


@pytest.fixture
def dns(monkeypatch):
    """socket.getaddrinfo answering from a table of host -> list of answers (consumed in turn, the last one
    repeated); records every question."""
    table: dict[str, list[list[str]]] = {}
    asked: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in table:
            try:
                ipaddress.ip_address(host)
            except ValueError:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
            return real(host, port, *args, **kwargs)
        asked.append(host)
        answers = table[host]
        return _answers(*(answers.pop(0) if len(answers) > 1 else answers[0]), port=port or 0)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table, asked


@pytest.fixture
def connects(monkeypatch):
    """socket.socket that records where it would connect and is refused there (no traffic leaves)."""
    seen: list[tuple[str, int]] = []

    class Recording:
        def __init__(self, family=-1, type=-1, *args):
            pass

        def settimeout(self, timeout):
            pass

        def connect(self, address):
            seen.append((address[0], address[1]))
            raise ConnectionRefusedError(111, "Connection refused")

        def close(self):
            pass

    monkeypatch.setattr(socket, "socket", Recording)
    return seen


@pytest.mark.parametrize(
    "answers",
    [
        ["10.0.0.7"],
        ["127.0.0.1"],
        ["169.254.169.254"],
        ["::1"],
        ["fd00::5"],
        ["::ffff:10.0.0.1"],
        ["8.8.8.8", "10.0.0.7"],
    ],
)
def test_a_name_resolving_to_any_private_address_is_refused_before_connecting(dns, connects, answers):
    dns[0]["hooks.platform.test"] = [answers]
    with pytest.raises(DeliveryError, match=f"^{PRIVATE_ADDRESS}$"):
        egress.post("https://hooks.platform.test/h", b"{}", {}, timeout=1, allow_private=False)
    assert connects == []
    assert host_is_private("hooks.platform.test")


def test_a_rebinding_answer_is_never_asked_for_the_connection_goes_to_the_vetted_address(dns, connects):
    dns[0]["hooks.platform.test"] = [["93.184.216.34"], ["127.0.0.1"]]  # public first, then private
    with pytest.raises(DeliveryError, match="^connection refused$"):
        egress.post("http://hooks.platform.test:8080/h", b"{}", {}, timeout=1, allow_private=False)
    assert dns[1] == ["hooks.platform.test"]  # asked once
    assert connects == [("93.184.216.34", 8080)]


def test_every_vetted_address_is_tried_in_turn(dns, connects):
    dns[0]["hooks.platform.test"] = [["2606:4700:4700::1111", "93.184.216.34"]]
    with pytest.raises(DeliveryError, match="^connection refused$"):
        egress.post("https://hooks.platform.test/h", b"{}", {}, timeout=1, allow_private=False)
    assert connects == [("2606:4700:4700::1111", 443), ("93.184.216.34", 443)]


def test_local_names_literals_and_unresolvable_hosts_at_subscription(dns):
    assert host_is_private("localhost") and host_is_private("api.localhost") and host_is_private("LOCALHOST.")
    assert host_is_private("127.0.0.1") and host_is_private("::1") and host_is_private("169.254.169.254")
    assert not host_is_private("8.8.8.8")
    assert not host_is_private("nowhere.invalid")  # does not resolve now: delivery decides
    dns[0]["hooks.platform.test"] = [["93.184.216.34"]]
    assert not host_is_private("hooks.platform.test")


def test_an_unresolvable_host_says_so_without_detail(dns):
    with pytest.raises(DeliveryError, match="^could not resolve the host name$"):
        egress.post("https://nowhere.invalid/h", b"{}", {}, timeout=1, allow_private=False)


def test_host_header_and_path_are_the_urls_while_the_socket_goes_to_the_vetted_address(dns):
    with Answering() as server:
        dns[0]["hooks.platform.test"] = [["127.0.0.1"]]
        url = f"http://hooks.platform.test:{server.port}/hooks?v=1"
        assert egress.post(url, b'{"a":1}', {"X-Test": "1"}, timeout=2, allow_private=True) == 204
    [(path, headers, body)] = server.requests
    assert path == "/hooks?v=1" and body == b'{"a":1}'
    assert headers["Host"] == f"hooks.platform.test:{server.port}" and headers["X-Test"] == "1"


def test_https_verifies_the_certificate_for_the_host_name_with_sni(dns, monkeypatch):
    seen = {}
    real_wrap = ssl.SSLContext.wrap_socket

    def wrap_socket(self, sock, *args, server_hostname=None, **kwargs):
        seen.update(hostname=server_hostname, verify=self.verify_mode, check=self.check_hostname)
        return real_wrap(self, sock, *args, server_hostname=server_hostname, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "wrap_socket", wrap_socket)
    with Answering() as server:  # speaks plain HTTP: the handshake fails
        dns[0]["hooks.platform.test"] = [["127.0.0.1"]]
        with pytest.raises(DeliveryError, match="^TLS handshake failed$"):
            egress.post(
                f"https://hooks.platform.test:{server.port}/h", b"{}", {}, timeout=2, allow_private=True
            )
    assert seen == {"hostname": "hooks.platform.test", "verify": ssl.CERT_REQUIRED, "check": True}


def test_a_redirect_is_returned_not_followed():
    with Answering(status=302) as server:
        status = egress.post(
            f"http://127.0.0.1:{server.port}/hooks", b"{}", {}, timeout=2, allow_private=True
        )
    assert status == 302
    assert [path for path, _, _ in server.requests] == ["/hooks"]


def test_private_addresses_are_refused_unless_allowed():
    with Answering() as server:
        with pytest.raises(DeliveryError, match=f"^{PRIVATE_ADDRESS}$"):
            egress.post(f"http://127.0.0.1:{server.port}/h", b"{}", {}, timeout=2, allow_private=False)
        with pytest.raises(DeliveryError, match=f"^{PRIVATE_ADDRESS}$"):
            egress.post(f"http://localhost:{server.port}/h", b"{}", {}, timeout=2, allow_private=False)
        assert server.requests == []
        assert (
            egress.post(f"http://127.0.0.1:{server.port}/h", b"{}", {}, timeout=2, allow_private=True) == 204
        )


def test_errors_say_what_a_tenant_can_act_on():
    with pytest.raises(DeliveryError, match="^connection refused$"):
        egress.post("http://127.0.0.1:9/h", b"{}", {}, timeout=2, allow_private=True)
    with Answering(silent=True) as server, pytest.raises(DeliveryError, match="^timed out$"):
        egress.post(f"http://127.0.0.1:{server.port}/h", b"{}", {}, timeout=0.3, allow_private=True)
    with pytest.raises(DeliveryError, match="^not an http or https URL$"):
        egress.post("ftp://example.com/h", b"{}", {}, timeout=2, allow_private=True)
