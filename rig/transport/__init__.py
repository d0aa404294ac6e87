"""How drivers reach instruments: a pyvisa session with a transcript and errors in context."""

from .transcript import RECEIVED, SENT, Transcript, TranscriptEntry
from .visa import (
    AccessDenied,
    ForeignWrites,
    InstrumentLinkError,
    VisaTransport,
    idempotent_query,
    scpi_float,
)

__all__ = [
    "RECEIVED",
    "SENT",
    "AccessDenied",
    "ForeignWrites",
    "InstrumentLinkError",
    "Transcript",
    "TranscriptEntry",
    "VisaTransport",
    "idempotent_query",
    "scpi_float",
]
