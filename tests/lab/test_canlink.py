"""Private CAN channels (``rig.dut.canlink``): how a channel is read, and what a bad one says."""

from __future__ import annotations

import pytest

from rig.dut.canlink import PRIVATE_TTL, private_channel, split_channel


def test_private_channel_has_a_group_and_a_port_of_its_own():
    first, second = private_channel(), private_channel()
    group, kwargs = split_channel("udp_multicast", first)
    assert group.startswith("239.") and kwargs == {"port": int(first.split(":")[1]),
                                                   "hop_limit": PRIVATE_TTL}
    assert first != second


@pytest.mark.parametrize(("interface", "channel"), [
    ("udp_multicast", "239.74.163.2"),           # python-can's shared port: left as it is
    ("udp_multicast", "ff15:7079:7468:6f6e:6465:6d6f:6d63:6173"),  # IPv6 group
    ("virtual", "evse-rig-1:2"),                 # other interfaces: untouched
    ("socketcan", "can0"),
])
def test_other_channels_are_passed_through(interface, channel):
    assert split_channel(interface, channel) == (channel, {})


@pytest.mark.parametrize(("channel", "says"), [
    ("239.1.2.3:port", "expected <IPv4 group>:<port>"),
    ("239.1.2.3:70000", "port 1..65535, got 70000"),
    ("239.1.2.300:4000", "expected <IPv4 group>:<port>"),
])
def test_a_bad_channel_is_refused_with_what_was_expected(channel, says):
    with pytest.raises(ValueError, match=says.replace(".", r"\.")):
        split_channel("udp_multicast", channel)


def test_the_rig_file_names_the_bad_channel(tmp_path):
    from rig.errors import ConfigError
    from rig.labgrid.loader import load_rig

    rig = tmp_path / "rig.yaml"
    rig.write_text("imports: [rig.labgrid]\ntargets:\n  main:\n    resources:\n"
                   "      - CanBus: {name: can, interface: udp_multicast, channel: '239.1.2.3:x'}\n"
                   "    drivers:\n      - CanDriver: {name: can, bindings: {bus: can}}\n")
    with pytest.raises(ConfigError) as err:
        load_rig(rig)
    assert "channel" in str(err.value) and "<IPv4 group>:<port>" in str(err.value)
    assert "rig.yaml" in str(err.value)
