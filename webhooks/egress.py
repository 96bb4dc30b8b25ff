"""Outbound webhook requests that cannot be turned against our own network (SSRF).

The host is resolved once; every address it resolves to must be public (`address_is_public`), and the
connection goes to one of those vetted addresses itself, so a second DNS answer (rebinding) is never asked
for. The Host header, TLS SNI and certificate check still use the URL's host name. Redirects are not
followed, and environment proxies are not used. Errors carry only what a tenant can act on
(`DeliveryError`); the detail is logged for operations.

Written on the standard library (http.client): the SSRF-safe HTTP packages on PyPI are either unmaintained
(advocate) or young wrappers around another HTTP client; this is small enough to own and test.
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import socket
import ssl
from urllib.parse import urlsplit

logger = logging.getLogger("maitre.webhooks")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

PRIVATE_ADDRESS = "refused: resolves to a private address"
# Not global, yet not refused by `ipaddress` in every Python version: carrier-grade NAT (RFC 6598) and the
# IETF protocol assignments (RFC 6890; Python 3.11 knows only 192.0.0.0/29 of them).
_NOT_GLOBAL_V4 = (ipaddress.ip_network("100.64.0.0/10"), ipaddress.ip_network("192.0.0.0/24"))
# IPv6 forms that carry an IPv4 address inside (NAT64, 6to4, Teredo, mapped, compatible) could reach a
# private IPv4 host through a translator: refused whatever they carry.
_EMBEDDING_V4 = (
    ipaddress.ip_network("64:ff9b::/96"),
    ipaddress.ip_network("64:ff9b:1::/48"),
    ipaddress.ip_network("2002::/16"),
    ipaddress.ip_network("2001::/32"),
    ipaddress.ip_network("::ffff:0:0/96"),
    ipaddress.ip_network("::/96"),
)


class DeliveryError(Exception):
    """A delivery that got no usable answer; its text is what the tenant reads in `last_error`."""


def address_is_public(address: IPAddress) -> bool:
    """Globally routable unicast: not loopback, private, link-local, shared (100.64/10), reserved, multicast,
    unspecified, site-local, nor an IPv6 address carrying an IPv4 one."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.is_site_local or any(address in net for net in _EMBEDDING_V4):
            return False
    elif any(address in net for net in _NOT_GLOBAL_V4):
        return False
    return address.is_global and not (
        address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


def host_is_local_name(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host in ("localhost", "localhost.localdomain") or host.endswith(".localhost")


def resolve(host: str, port: int, *, allow_private: bool) -> list[tuple[int, IPAddress]]:
    """The host's addresses (family, address), asked of DNS once; DeliveryError if it has none, or if any of
    them is not public (unless `allow_private`, for development and tests)."""
    if not allow_private and host_is_local_name(host):
        raise DeliveryError(PRIVATE_ADDRESS)
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        logger.info("webhook host %r does not resolve: %s", host, exc)
        raise DeliveryError("could not resolve the host name") from exc
    addresses: list[tuple[int, IPAddress]] = []
    for family, _, _, _, sockaddr in answers:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if not allow_private and not address_is_public(address):
            logger.warning("webhook host %r refused: it resolves to %s", host, address)
            raise DeliveryError(PRIVATE_ADDRESS)
        if (family, address) not in addresses:
            addresses.append((family, address))
    if not addresses:
        raise DeliveryError("could not resolve the host name")
    return addresses


def host_is_private(host: str) -> bool:
    """The check when a client subscribes (fast feedback; delivery checks again): a local name, or a host any
    of whose addresses is not public now. A name that does not resolve now is left to delivery."""
    try:
        resolve(host, 0, allow_private=False)
    except DeliveryError as exc:
        return str(exc) == PRIVATE_ADDRESS
    return False


def _connection(scheme: str, host: str, port: int, timeout: float) -> http.client.HTTPConnection:
    if scheme == "https":
        return http.client.HTTPSConnection(host, port, timeout=timeout, context=ssl.create_default_context())
    return http.client.HTTPConnection(host, port, timeout=timeout)


def _pinned(conn: http.client.HTTPConnection, addresses: list[tuple[int, IPAddress]]) -> None:
    """Make `conn` open its socket to the vetted addresses, in order, instead of resolving its host again
    (http.client still sends Host, and for https SNI and the certificate check, for the host name)."""

    def create_connection(address, timeout=None, source_address=None):
        port, last = address[1], None
        for family, ip in addresses:
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.settimeout(timeout)
                sock.connect((str(ip), port))
                return sock
            except OSError as exc:
                sock.close()
                last = exc
        raise last or OSError("no address to connect to")

    conn._create_connection = create_connection  # type: ignore[attr-defined]


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float, allow_private: bool) -> int:
    """POST `body` to `url` and return the answer's status (a 3xx is returned, never followed). Raises
    DeliveryError when there is no answer, or when the host may not be called."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    if scheme not in ("http", "https") or not host:
        raise DeliveryError("not an http or https URL")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise DeliveryError("invalid port in the URL") from exc
    addresses = resolve(host, port, allow_private=allow_private)
    conn = _connection(scheme, host, port, timeout)
    _pinned(conn, addresses)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(64 * 1024)
        return response.status
    except TimeoutError as exc:
        raise DeliveryError("timed out") from exc
    except ConnectionRefusedError as exc:
        raise DeliveryError("connection refused") from exc
    except ssl.SSLCertVerificationError as exc:
        logger.info("webhook %s: %s", url, exc)
        raise DeliveryError("TLS certificate verification failed") from exc
    except ssl.SSLError as exc:
        logger.info("webhook %s: %s", url, exc)
        raise DeliveryError("TLS handshake failed") from exc
    except http.client.HTTPException as exc:
        logger.info("webhook %s: %r", url, exc)
        raise DeliveryError("invalid HTTP response") from exc
    except OSError as exc:
        logger.info("webhook %s: %r", url, exc)
        raise DeliveryError("connection failed") from exc
    finally:
        conn.close()
