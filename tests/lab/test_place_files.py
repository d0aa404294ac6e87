"""The place's files say what rigs/emulator.yaml says: the exporter configuration (a Jinja
template) exports the same instruments with the same data, and rigs/place.yaml has the same
drivers and features, so a run on a place and a run on the in-process bench test the same rig."""

from __future__ import annotations

import yaml
from labgrid.remote.config import ResourceConfig

from rig.labgrid.lab import EXPORTER_CONFIG, PLACE_RIG
from tests.plan.runner import ROOT

EMULATOR = ROOT / "rigs" / "emulator.yaml"
BENCH_ENV = {"LG_BENCH_AC1": "TCPIP0::127.0.0.1::5000::SOCKET",
             "LG_BENCH_AC3": "TCPIP0::127.0.0.1::5001::SOCKET",
             "LG_BENCH_PA": "TCPIP0::127.0.0.1::5002::SOCKET",
             "LG_BENCH_SMU": "TCPIP0::127.0.0.1::5003::SOCKET",
             "LG_BENCH_CS": "TCPIP0::127.0.0.1::5004::SOCKET",
             "LG_BENCH_EV": "TCPIP0::127.0.0.1::5005::SOCKET",
             "LG_BENCH_EST": "TCPIP0::127.0.0.1::5007::SOCKET",
             "LG_BENCH_CNT": "TCPIP0::127.0.0.1::5008::SOCKET",
             "LG_BENCH_CTRL": "TCPIP0::127.0.0.1::5006::SOCKET",
             "LG_BENCH_CONSOLE": "/dev/pts/77", "LG_BENCH_CAN_INTERFACE": "udp_multicast",
             "LG_BENCH_CAN_CHANNEL": "239.1.2.3:40000", "LG_BENCH_TOKEN": "t0k3n"}


class _Template(yaml.SafeLoader):
    pass


_Template.add_constructor("!template", lambda loader, node: loader.construct_scalar(node))


#: The tag presenter (PR-02) is not exported through a labgrid place yet: a run on a place has
#: no tag presenter, so PR-02 is NOT_RUN there with that reason (docs/many-rigs.md).
NOT_EXPORTED = ("HttpDigitalOutput", "RfidTag", "HttpDigitalOutputDriver")


def emulator() -> dict:
    data = yaml.load(EMULATOR.read_text(), Loader=_Template)
    main = data["targets"]["main"]
    for key in ("resources", "drivers"):
        main[key] = [i for i in main[key] if next(iter(i)) not in NOT_EXPORTED]
    return data


def exported(place: str = "rig-a") -> dict:
    config = ResourceConfig(str(EXPORTER_CONFIG), {"env": {**BENCH_ENV, "RIG_PLACE": place},
                                                   "isolated": False, "hostname": "h",
                                                   "name": "e"})
    return config.data


def test_the_exporter_template_renders_one_group_named_by_the_place():
    data = exported("rig-b")
    assert list(data) == ["rig-b"]
    group = data["rig-b"]
    assert group["ac_source"]["resource"] == BENCH_ENV["LG_BENCH_AC3"]
    assert group["console"] == {"cls": "ChargerConsolePort", "port": "/dev/pts/77",
                                "speed": 115200}


def test_the_exporter_exports_what_the_emulator_rig_file_describes():
    group = exported()["rig-a"]
    resources = emulator()["targets"]["main"]["resources"]
    for item in resources:
        ((cls, args),) = item.items()
        name = args["name"]
        assert name in group, f"{name} is in rigs/emulator.yaml but not exported"
        out = dict(group[name])
        if cls == "RawSerialPort":
            assert out["cls"] == "ChargerConsolePort" and out["speed"] == args["speed"]
            continue
        assert out.pop("cls") == cls, name
        want = {k: v for k, v in args.items() if k not in ("name", "resource", "interface",
                                                            "channel")}
        got = {k: v for k, v in out.items() if k not in ("resource", "interface", "channel")}
        if name == "bench":  # the control port's token: read from the bench's environment
            assert got.pop("options") == {"token": BENCH_ENV["LG_BENCH_TOKEN"]}
            assert want.pop("options") == {"token": "$LG_BENCH_TOKEN"}
        assert got == want, name
    assert set(group) - {"location"} == {next(iter(i.values()))["name"] for i in resources}


def test_the_exported_resources_pass_the_rig_classes_checks():
    from rig.labgrid import resources
    from rig.labgrid.exporter import ChargerConsolePort

    for name, params in exported()["rig-a"].items():
        if name == "location":
            continue
        params = dict(params)
        cls = params.pop("cls")
        klass = ChargerConsolePort if cls == "ChargerConsolePort" else getattr(resources, cls)
        klass(target=None, name=name, **params)  # raises ResourceError on a bad field


def test_place_rig_file_drives_the_same_rig():
    place = yaml.load(PLACE_RIG.read_text(), Loader=_Template)["targets"]["main"]
    emu = emulator()["targets"]["main"]
    assert place["drivers"] == emu["drivers"]
    assert place["features"] == emu["features"]
    assert yaml.load(PLACE_RIG.read_text(), Loader=_Template)["options"] == {
        k: v for k, v in emulator()["options"].items() if k not in ("bench", "bench_clock")}
    assert place["resources"] == [{"RemotePlace": {"name": "$LG_PLACE"}}]
