"""Secrets never stored or shown: passwords in URLs are masked wherever text leaves the process.

A lab passes its record store as ``--records postgresql+psycopg://rig:secret@db/records`` or in
``$RIG_RECORDS_URL``. Whatever keeps or prints text that may hold such a URL (the run's command
line in the runs table and on the report cover, the lock files, the verdicts file, the Allure
environment, messages) passes it through :func:`redact` first. One function rather than
SQLAlchemy's ``hide_password`` at each place: a command line is not a URL, and a URL SQLAlchemy
cannot parse must not be printed as typed.
"""

from __future__ import annotations

import re

__all__ = ["MASK", "SECRET_KEYS", "redact", "redact_keys", "redact_mapping"]

MASK = "***"
#: ``scheme://user:PASSWORD@`` (the password up to the last ``@`` of the token, so an unencoded
#: ``@`` in it is masked too), and ``password=...`` in a query string or a libpq DSN.
_USERINFO = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"]*:)"
                       r"(?P<secret>[^\s'\"]*)(?P<at>@)")
#: Names of settings that hold a secret (``password=``, the charger's OCPP
#: ``ocpp.authorization_key=`` given with ``--charger-set``, a ``token``).
SECRET_KEYS = ("password", "passwd", "pwd", "secret", "token", "authorization_key")
_SECRET_NAME = r"[\w.\-]*(?:" + "|".join(SECRET_KEYS) + ")"
_PARAM = re.compile(rf"(?P<head>\b{_SECRET_NAME}=)(?P<secret>[^\s&;,'\"]+)", re.IGNORECASE)
#: the same as a JSON member (``"ocpp.authorization_key": "..."`` in an overrides mapping)
_JSON = re.compile(rf'(?P<head>"{_SECRET_NAME}"\s*:\s*")(?P<secret>(?:[^"\\]|\\.)+)"',
                   re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with every password of a URL, and the value of every setting named like a
    secret (``password=``, ``ocpp.authorization_key=``, as text or JSON), replaced by ``***``."""
    if "@" not in text and "=" not in text and '":' not in text:
        return text
    text = _USERINFO.sub(lambda m: f"{m['head']}{MASK}{m['at']}", text)
    text = _PARAM.sub(lambda m: f"{m['head']}{MASK}", text)
    return _JSON.sub(lambda m: f'{m["head"]}{MASK}"', text)


def redact_mapping(values: dict) -> dict:  # type: ignore[type-arg]
    """A copy of a ``{key: value}`` mapping (profile overrides) with secret-named keys' values
    masked and every text value redacted."""
    name = re.compile(rf"^{_SECRET_NAME}$", re.IGNORECASE)
    return {k: MASK if name.match(str(k)) else (redact(v) if isinstance(v, str) else v)
            for k, v in values.items()}


#: The name the plugin uses for the overrides it keeps (the same masking).
redact_keys = redact_mapping
