"""OCPP 1.6 security profiles 1 and 2 between the rig's central system and the emulated charger.

The break: the central system had no authentication and no TLS, so anyone on the lab network
could connect as the charger. Now the central system takes each charge point's password (HTTP
basic auth, profile 1) and a server certificate (TLS, profile 2); the emulated charger uses its
profile keys (``ocpp.security_profile``, ``ocpp.authorization_key``, ``ocpp.ca_certificate``).
A throw-away CA (trustme) signs the certificates: right password and trusted certificate
connect; a wrong password, a certificate of another CA, or a plain ws:// URL under profile 2 do
not.
"""

from __future__ import annotations

import re
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from zapcharger.profile import ProfileError

from rig.bench.host import BenchHost
from rig.dut.ocpp import CentralSystem
from tests.bench.conftest import STUB_ENTRY

CP_ID = "ZCS000077"
PASSWORD = "0123456789abcdef0123"  # 20 characters, as OCPP 1.6's AuthorizationKey


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, Path]:
    ca = trustme.CA()
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return ca, path


def tls_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


def charger(**keys: object) -> BenchHost:
    overrides = {"firmware_entry": STUB_ENTRY, **{f"ocpp.{k}": v for k, v in keys.items()}}
    return BenchHost(overrides=overrides).start()


def connect(host: BenchHost, central: CentralSystem, url: str | None = None) -> bool:
    """Point the charger at the central system; True once connected, False once it gave up
    its first attempt (its reason in ``host.ocpp.last_error``)."""
    host.ocpp.connect(url or central.url(CP_ID))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if central.is_connected(CP_ID):
            return True
        if host.ocpp.last_error:
            return False
        time.sleep(0.02)
    raise AssertionError("neither connected nor refused within 5 s")


@pytest.fixture
def basic_auth() -> Iterator[CentralSystem]:
    server = CentralSystem(passwords={CP_ID: PASSWORD}).start()
    yield server
    server.stop()


def test_profile_1_the_right_password_connects(basic_auth):
    host = charger(security_profile=1, authorization_key=PASSWORD)
    try:
        assert connect(host, basic_auth)
        assert basic_auth.intruders == []
    finally:
        host.stop()


def test_profile_1_a_wrong_password_is_refused_and_recorded(basic_auth):
    host = charger(security_profile=1, authorization_key="not-the-password-1")
    try:
        assert not connect(host, basic_auth)
        assert "401" in host.ocpp.last_error
        assert basic_auth.intruders[0].reason == "wrong user or password"
    finally:
        host.stop()


def test_profile_0_charger_cannot_connect_to_a_central_system_with_passwords(basic_auth):
    host = charger()  # no password at all
    try:
        assert not connect(host, basic_auth)
        assert basic_auth.intruders[0].reason == "no password"
    finally:
        host.stop()


def test_profile_2_a_trusted_certificate_and_the_password_connect(ca):
    authority, ca_file = ca
    server = CentralSystem(passwords={CP_ID: PASSWORD}, ssl_context=tls_context(authority))
    server.start()
    host = charger(security_profile=2, authorization_key=PASSWORD, ca_certificate=str(ca_file))
    try:
        assert server.url(CP_ID).startswith("wss://127.0.0.1:")
        assert connect(host, server)
    finally:
        host.stop()
        server.stop()


def test_profile_2_a_certificate_of_another_ca_is_refused(ca):
    _, ca_file = ca
    server = CentralSystem(passwords={CP_ID: PASSWORD}, ssl_context=tls_context(trustme.CA()))
    server.start()
    host = charger(security_profile=2, authorization_key=PASSWORD, ca_certificate=str(ca_file))
    try:
        assert not connect(host, server)
        assert "CERTIFICATE_VERIFY_FAILED" in host.ocpp.last_error
    finally:
        host.stop()
        server.stop()


def test_profile_2_never_falls_back_to_plain_ws(ca, basic_auth):
    _, ca_file = ca
    host = charger(security_profile=2, authorization_key=PASSWORD, ca_certificate=str(ca_file))
    try:
        assert not connect(host, basic_auth)  # its URL is ws://
        assert "wss:// URL only" in host.ocpp.last_error
    finally:
        host.stop()


@pytest.mark.parametrize(
    ("keys", "message"),
    [({"authorization_key": "short"}, "ocpp.authorization_key: 16-40 printable ASCII "
                                      "characters (no spaces), got 5 characters"),
     ({"authorization_key": "with a space 0123456"}, "ocpp.authorization_key"),
     ({"security_profile": 3}, "security_profile")],
)
def test_profile_keys_are_checked(keys, message):
    with pytest.raises(ProfileError, match=re.escape(message)):
        charger(**keys)


@pytest.mark.parametrize(
    ("keys", "message"),
    [({"security_profile": 1}, "security profile 1 needs ocpp.authorization_key"),
     ({"security_profile": 2, "authorization_key": PASSWORD},
      "security profile 2 needs ocpp.ca_certificate")],
)
def test_a_profile_without_its_password_or_ca_never_connects_and_says_why(basic_auth, keys,
                                                                         message):
    host = charger(**keys)
    try:
        assert not connect(host, basic_auth)
        assert message in host.ocpp.last_error
    finally:
        host.stop()


# ---- the rig file's side: password_env, certificate -----------------------------------------


def test_rig_file_security_settings_become_the_central_systems(ca, tmp_path, monkeypatch):
    from types import SimpleNamespace

    from rig.errors import ConfigError
    from rig.labgrid.resources import OcppCentralSystem
    from rig.pytest_plugin.ocpp import security

    authority, _ = ca
    rig = SimpleNamespace(env=SimpleNamespace(config_file="my-lab.yaml"))
    resource = OcppCentralSystem(target=None, name="csms", charge_point_id=CP_ID,
                                 password_env="RIG_TEST_OCPP_PASSWORD")
    monkeypatch.delenv("RIG_TEST_OCPP_PASSWORD", raising=False)
    with pytest.raises(ConfigError) as caught:
        security(rig, resource)
    assert str(caught.value) == (
        "my-lab.yaml: targets.main.resources.csms.password_env: an environment variable that "
        "is set (RIG_TEST_OCPP_PASSWORD is not): the charger's OCPP password")
    monkeypatch.setenv("RIG_TEST_OCPP_PASSWORD", PASSWORD)
    assert security(rig, resource) == ({CP_ID: PASSWORD}, None)

    chain = tmp_path / "chain.pem"
    authority.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(chain))
    resource.certificate = str(chain)
    passwords, context = security(rig, resource)
    assert passwords == {CP_ID: PASSWORD} and isinstance(context, ssl.SSLContext)
    resource.certificate = str(tmp_path / "missing.pem")
    with pytest.raises(ConfigError, match=r"csms\.certificate: a PEM certificate chain"):
        security(rig, resource)
