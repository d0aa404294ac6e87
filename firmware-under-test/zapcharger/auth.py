"""Authorisation: local tag list, the cloud's answers, and the user feedback on the LED.

A session may charge once authorised (or when ``auth.required`` is false). An authorisation
given before plug-in carries over to the next session and ends with that session. The LED shows
an accepted tag (green flash, ``auth.accepted_flash_s``) and a refused one (red flash, 3 s).

Offline rule (the central system cannot be asked): a tag of the local list is accepted, any
other tag is refused.

``auth.latch_after_first_session`` (a defect): the end of the first session of a power-up loses
the authorisation for good (RAM only: a power cycle brings it back), as a firmware that
clears its free-charging flag with the session's state would.
"""

from __future__ import annotations

from zapcharger.profile import Auth
from zapcharger.timebase import EPS

REFUSED_FLASH_S = 3.0


class Authoriser:
    """Who may charge the current (or next) session."""

    def __init__(self, cfg: Auth, required: bool | None = None):
        self.required = cfg.required if required is None else required
        self.enforce = cfg.enforce
        self.honour_refusal = cfg.honour_refusal
        self.accepted_flash_s = cfg.accepted_flash_s
        self.latch = cfg.latch_after_first_session
        self.lost = False  # the defect has struck: nobody charges until a power cycle
        self.tags = {t.upper() for t in cfg.accepted_tags}
        self.authorised = False
        self.id_tag: str | None = None
        self.pending: str | None = None  # tag sent to the cloud (Authorize), no answer yet
        self.feedback: str | None = None  # "accepted" / "refused" while the LED shows it
        self.feedback_until = 0.0

    def ok(self) -> bool:
        """May a session charge now?"""
        if self.lost:
            return False
        return not self.required or self.authorised or not self.enforce

    def known(self, uid: str) -> bool:
        """Is the tag on the local list (no cloud round trip needed)?"""
        return uid.upper() in self.tags

    def accept(self, uid: str, now: float, flash: bool = True) -> None:
        """Authorise with ``uid`` (local list, cloud answer, or remote start)."""
        self.authorised = True
        self.id_tag = uid
        self.pending = None
        if flash:
            self.feedback, self.feedback_until = "accepted", now + self.accepted_flash_s

    def refuse(self, now: float, uid: str | None = None) -> None:
        """The tag is refused: red flash, authorisation unchanged."""
        self.pending = None
        if not self.honour_refusal and uid is not None:  # the defect: it charges all the same
            self.authorised, self.id_tag = True, uid
        self.feedback, self.feedback_until = "refused", now + REFUSED_FLASH_S

    def expire(self, now: float) -> None:
        """End the LED feedback when its time is over."""
        if self.feedback is not None and self.feedback_until <= now + EPS:
            self.feedback = None

    def clear(self) -> None:
        """Session over: the next one needs a new authorisation."""
        self.authorised = False
        self.id_tag = None
        self.pending = None
        if self.latch:
            self.lost = True

    def deadlines(self) -> list[float]:
        """End of the LED feedback."""
        return [self.feedback_until] if self.feedback is not None else []
