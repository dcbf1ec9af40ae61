"""Who may open the librarian's page: clients on this machine, and networks a setting names.

The page names the archive's files and folders, so by default only a client connecting
from the loopback address (the server itself) may open it. Two settings widen that:

- ``LIBRARIAN_NETWORKS``: addresses or networks (``192.168.1.0/24``) whose clients may open
  it too;
- ``TRUSTED_PROXIES``: the addresses of reverse proxies in front of the site. Behind a proxy,
  every request comes from the proxy's address, often the loopback itself, so the client
  is read from the ``X-Forwarded-For`` header, and only when the proxy sending it is one of
  these: anyone can write that header.

A request that carries forwarding headers but does not come from a trusted proxy is
refused, whatever its address: it went through a proxy nobody declared, and the loopback
address it comes from says nothing about the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Union

from flask import Request

Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP", "Via")


def networks(setting: str, value: str | Iterable[str] | None) -> tuple[Network, ...]:
    """The networks of a setting written as "10.0.0.5, 192.168.1.0/24" (or a list); a
    ValueError naming the setting for anything else."""
    if not value:
        return ()
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    try:
        return tuple(ipaddress.ip_network(str(item).strip(), strict=False) for item in items)
    except ValueError as err:
        raise ValueError(f"{setting} must list IP addresses or networks such as "
                         f"192.168.1.0/24, separated by commas: {err}") from None


def _address(text: str | None) -> Address | None:
    try:
        address = ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return address


def _within(address: Address, allowed: tuple[Network, ...]) -> bool:
    return any(address.version == network.version and address in network for network in allowed)


def client_address(request: Request, proxies: tuple[Network, ...]) -> Address | None:
    """The address of the client behind the request, or None when it cannot be told."""
    peer = _address(request.remote_addr)
    if peer is None:
        return None
    if not _within(peer, proxies):
        return None if any(name in request.headers for name in FORWARDING_HEADERS) else peer
    hops = [hop for line in request.headers.getlist("X-Forwarded-For")
            for hop in line.split(",")]
    if not hops:
        return peer
    chain = [_address(hop) for hop in hops]
    # From the nearest hop back, the first that is not one of our proxies is the client.
    for address in reversed(chain):
        if address is None:
            return None
        if not _within(address, proxies):
            return address
    return chain[0]


def is_librarian(request: Request, librarian_networks: tuple[Network, ...],
                 proxies: tuple[Network, ...]) -> bool:
    address = client_address(request, proxies)
    return address is not None and (address.is_loopback
                                    or _within(address, librarian_networks))
