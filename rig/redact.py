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

__all__ = ["MASK", "SECRET_KEYS", "redact", "redact_keys"]

MASK = "***"
#: ``scheme://user:PASSWORD@`` (the password up to the last ``@`` of the token, so an unencoded
#: ``@`` in it is masked too), and ``password=...`` in a query string or a libpq DSN.
_USERINFO = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"]*:)"
                       r"(?P<secret>[^\s'\"]*)(?P<at>@)")
_PARAM = re.compile(r"(?P<head>\b(?:password|passwd|pwd)=)(?P<secret>[^\s&;'\"]+)", re.IGNORECASE)
#: The charger's OCPP password as a profile key (``--charger-set ocpp.authorization_key=...``),
#: as ``key=value`` text and as a JSON member (the overrides in the verdicts file).
SECRET_KEYS = ("authorization_key",)
_KEY_PARAM = re.compile(r"(?P<head>[\w.]*(?:" + "|".join(SECRET_KEYS) + r")=)"
                        r"(?P<secret>[^\s&;'\",]+)")
_KEY_JSON = re.compile(r'(?P<head>"[\w.]*(?:' + "|".join(SECRET_KEYS) + r')"\s*:\s*")'
                       r'(?P<secret>[^"]*)(?P<tail>")')


def redact_keys(mapping: dict) -> dict:
    """``mapping`` (profile overrides) with the value of every secret key masked."""
    return {k: MASK if str(k).rsplit(".", 1)[-1] in SECRET_KEYS else v
            for k, v in mapping.items()}


def redact(text: str) -> str:
    """``text`` with every password of a URL (or ``password=`` parameter) replaced by ``***``."""
    if "@" not in text and "=" not in text and "_key" not in text:
        return text
    text = _USERINFO.sub(lambda m: f"{m['head']}{MASK}{m['at']}", text)
    text = _PARAM.sub(lambda m: f"{m['head']}{MASK}", text)
    if "_key" in text:
        text = _KEY_PARAM.sub(lambda m: f"{m['head']}{MASK}", text)
        text = _KEY_JSON.sub(lambda m: f"{m['head']}{MASK}{m['tail']}", text)
    return text
