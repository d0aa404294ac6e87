"""A CAN bus that only its own bench hears: python-can's ``udp_multicast`` made private.

**Why.** python-can's ``udp_multicast`` binds every bus to ``0.0.0.0:<port>`` (43113 unless
told) and joins the channel's group. Linux then hands a socket *every* datagram for that port
whose group *any* socket on the host joined (``IP_MULTICAST_ALL`` is on by default), so benches
on one host hear each other across groups: a logger on an unused group saw hundreds of foreign
frames in a few seconds, and a rig could read another bench's status frame as its own charger's.
A filter on CAN ids cannot tell them apart either: every emulated charger sends the same ids.

**How.** A private channel is written ``<group>:<port>`` (``239.17.4.201:40213``): a random
administratively scoped IPv4 group *and* a UDP port of its own (picked by the kernel, so no
other bench on the host uses it). Every bus opened on such a channel, the bench's and the
rig's, also turns ``IP_MULTICAST_ALL`` off (the socket gets only the group it joined) and sends
with a TTL of 0 (frames never leave the host; loopback delivers them). Three locks where one
would do: a port collision alone, or a group collision alone, still hears nothing foreign. A
channel without a port (``239.74.163.2``) is python-can's plain, shared behaviour, kept for a
multi-host CAN over a LAN.
"""

from __future__ import annotations

import contextlib
import ipaddress
import random
import socket
from typing import Any

import can

#: Linux ``IP_MULTICAST_ALL`` (``<linux/in.h>``); absent from Python's socket module.
IP_MULTICAST_ALL = getattr(socket, "IP_MULTICAST_ALL", 49)
#: TTL of a private channel's frames: 0 = this host only.
PRIVATE_TTL = 0


def free_udp_port() -> int:
    """A UDP port no socket on this host holds now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("", 0))
        return int(sock.getsockname()[1])


def private_channel() -> str:
    """A fresh ``<group>:<port>`` for one bench's CAN (see the module doc)."""
    group = f"239.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(1, 254)}"
    return f"{group}:{free_udp_port()}"


def split_channel(interface: str, channel: str) -> tuple[str, dict[str, Any]]:
    """``(group, bus kwargs)`` of a ``udp_multicast`` channel; other interfaces unchanged.

    ValueError with what was expected for a port that is not one."""
    if interface != "udp_multicast" or not isinstance(channel, str):
        return channel, {}
    group, sep, port = channel.rpartition(":")
    if not sep or "." not in group:  # no port, or an IPv6 group (colons of its own)
        return channel, {}
    try:
        ipaddress.IPv4Address(group)
        number = int(port)
    except ValueError:
        raise ValueError(f"udp_multicast channel {channel!r}: expected <IPv4 group>:<port>, "
                         "e.g. 239.17.4.201:40213") from None
    if not 1 <= number <= 65535:
        raise ValueError(f"udp_multicast channel {channel!r}: port 1..65535, got {number}")
    return group, {"port": number, "hop_limit": PRIVATE_TTL}


def is_private(interface: str, channel: str) -> bool:
    """Does ``channel`` name a private bus (group and port of its own)?"""
    return bool(split_channel(interface, channel)[1])


def open_can(interface: str, channel: str, **kwargs: Any) -> can.BusABC:
    """``can.Bus`` for ``interface``/``channel``; a private ``udp_multicast`` channel gets its
    port, a host-only TTL and ``IP_MULTICAST_ALL`` off (see the module doc)."""
    group, extra = split_channel(interface, channel)
    bus = can.Bus(interface=interface, channel=group, **extra, **kwargs)
    if extra:
        sock = getattr(getattr(bus, "_multicast", None), "_socket", None)
        if sock is None:  # python-can moved its socket: the own port still isolates
            return bus
        with contextlib.suppress(OSError):  # not Linux: the own port still isolates
            sock.setsockopt(socket.IPPROTO_IP, IP_MULTICAST_ALL, 0)
    return bus
