"""Logon (35=A) handling: the checks a received Logon goes through, the answer, and the Logon we send.

Mixed into :class:`~pyfixmsg_plus.session.core.Session` over :class:`~pyfixmsg_plus.session.handlers.AdminHandlers`
(whose checks it uses). FIX order of the Logon checks, as QuickFIX applies them: a second Logon without
ResetSeqNumFlag(141), CompIDs, DefaultApplVerID(1137) on FIXT.1.1, HeartBtInt(108), EncryptMethod(98),
NextExpectedMsgSeqNum(789), the application's check, the reset, then the header and MsgSeqNum checks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pyfixmsg_plus.session import validation as v
from pyfixmsg_plus.session.events import LoggedOn
from pyfixmsg_plus.session.fixt import APPL_VER_DICTIONARIES, DEFAULT_APPL_VER_ID, version_name
from pyfixmsg_plus.session.handlers import AdminHandlers, RefusedWithoutAnswer
from pyfixmsg_plus.session.inbound import Inbound
from pyfixmsg_plus.session.next_expected import (
    NEXT_EXPECTED_MSG_SEQ_NUM,
    BadNextExpected,
    gap_asked_by_our_logon,
    implied_resend,
    logon_next_expected,
    parse_next_expected,
    too_high_text,
)
from pyfixmsg_plus.session.states import SessionState

log = logging.getLogger("pyfixmsg_plus.session")


class LogonHandlers(AdminHandlers):
    """The Logon exchange of the session (see the module docstring)."""

    def send_logon(self, reset: bool, counts_received_logon: bool = False) -> None:
        """Send our Logon (initiator's request, acceptor's answer). With EnableNextExpectedMsgSeqNum it carries
        NextExpectedMsgSeqNum(789): the next number we expect, past the Logon we answer when
        ``counts_received_logon`` (that Logon is accepted in sequence right after)."""
        hb, now = self.timers.heartbeat_interval, self.now
        next_expected = None
        if self.config.enable_next_expected_msg_seq_num:
            next_expected = logon_next_expected(self.seq.next_target, counts_received_logon)
        self.sent_next_expected = next_expected
        self.send_new("A", lambda seqnum: self.builder.logon(seqnum, now, hb, reset, next_expected))

    def _on_logon(self, inbound: Inbound, queued: bool, known: bool) -> None:
        """Logon (35=A): HeartBtInt, EncryptMethod, ResetSeqNumFlag, the application's check, then Active."""
        received_reset = inbound.flag(141)
        if self.received_logon and not received_reset:
            self.disconnect("Logon received while already logged on (without ResetSeqNumFlag=Y)")
            return
        if not self._check_comp_ids(inbound):
            return
        if self.is_fixt and not self._take_default_appl_ver_id(inbound):
            return
        heartbeat = inbound.integer(108)
        if heartbeat is None:
            self.logout_and_disconnect("HeartBtInt(108) missing or not a number in Logon")
            return
        encrypt = inbound.text(98)
        if encrypt not in (None, "0"):  # only EncryptMethod 0 (None/Other) is supported
            self.logout_and_disconnect(f"Unsupported EncryptMethod(98)={v.quote_received(encrypt)}")
            return
        try:
            next_expected = self._received_next_expected(inbound)
        except BadNextExpected as error:
            self._refuse_logon(str(error))
            return
        if self.config.logon_check is not None:
            refusal = self.config.logon_check(inbound.pairs)
            if isinstance(refusal, RefusedWithoutAnswer):
                self.disconnect(f"Logon refused without an answer: {refusal}")
                return
            if refusal is not None:
                self.logout_and_disconnect(refusal)
                return
        if (received_reset and not self.sent_reset) or (
            not self.config.is_initiator and self.config.reset_on_logon and not self.received_logon
        ):
            self.reset_sequences()
        if not self.verify(inbound, check_high=False, check_low=True):
            return
        next_sender_at_logon = self.seq.next_sender
        if next_expected is not None and next_expected > next_sender_at_logon:
            # 789 names messages we never sent: nothing can be resent (QuickFIX/J logs out too)
            self._refuse_logon(too_high_text(next_expected, next_sender_at_logon))
            return
        self._logon_accepted(inbound, heartbeat, received_reset, next_expected, next_sender_at_logon)

    def _logon_accepted(
        self, inbound: Inbound, heartbeat: int, received_reset: bool, next_expected: int | None, next_sender: int
    ) -> None:
        """A Logon passed every check: answer it (acceptor, or a reset we did not ask for), go Active, count it
        or ask for the gap before it, and resend what its NextExpectedMsgSeqNum(789) says the counterparty
        missed of ours (``next_sender``: our next MsgSeqNum to send when it came)."""
        self.deliver_admin(inbound)  # QuickFIX: fromAdmin(Logon) before the answer and onLogon
        too_high = (inbound.seqnum or 0) > self.seq.next_target and not received_reset
        if self._answers_logon(received_reset):
            self.timers.heartbeat_interval = heartbeat
            self.send_logon(received_reset, counts_received_logon=not too_high)
        self.received_logon = True
        self.sent_reset = False
        self.timers.logon_deadline = None
        if self.state is SessionState.LOGON_IN_PROGRESS:
            self.move_to(SessionState.ACTIVE)
        if too_high:
            inbound.already_processed = True
            if next_expected is not None and self.seq.resend is None:
                # both Logons carry 789: ours asks for the gap already (a peer without the setting, which
                # sends no 789 and would not answer ours, gets the ResendRequest as before)
                self.seq.resend = gap_asked_by_our_logon(self.sent_next_expected, inbound.seqnum or 0)
            self.on_too_high(inbound)
        else:
            self.accept(inbound, deliver=False)
        if next_expected is not None:
            resend = implied_resend(next_expected, next_sender)
            if resend is not None:  # after our answer, as if a ResendRequest(2) for the range had come
                log.info("%s: Logon's NextExpectedMsgSeqNum(789): resending %d..%d", self.config.session_id,
                         resend.begin, resend.end)  # fmt: skip
                self.emit_fetch(resend)
        self.emit(LoggedOn(received_reset))

    def _answers_logon(self, received_reset: bool) -> bool:
        """True when a received Logon gets our Logon in answer: the acceptor answers the counterparty's first
        Logon, either role answers a ResetSeqNumFlag(141)=Y reset it did not ask for. A Logon with 141=Y
        answering our own reset request (``reset_sequence``) is the end of that exchange, on the acceptor too
        (answering it made a second Logon, which the counterparty took as a new reset request)."""
        if received_reset:
            return not self.sent_reset
        return not self.config.is_initiator and not self.received_logon

    def _received_next_expected(self, inbound: Inbound) -> int | None:
        """The Logon's NextExpectedMsgSeqNum(789) when EnableNextExpectedMsgSeqNum is on (None: off, or the
        field absent); BadNextExpected when it is not a positive integer."""
        if not self.config.enable_next_expected_msg_seq_num:
            return None  # the field is then ignored, as before the setting existed
        raw = inbound.first.get(NEXT_EXPECTED_MSG_SEQ_NUM)
        return None if raw is None else parse_next_expected(raw)

    def _take_default_appl_ver_id(self, inbound: Inbound) -> bool:
        """FIXT.1.1 Logon: DefaultApplVerID(1137) is required (QuickFIX refuses a Logon without it), and with a
        dictionary per version it must name one; the counterparty's messages without ApplVerID(1128) are of
        that version from now on. False (Logout sent, disconnected) when the Logon is refused."""
        value = inbound.first.get(DEFAULT_APPL_VER_ID)
        if not value:
            self._refuse_logon("Required tag missing: DefaultApplVerID(1137) is required in a FIXT.1.1 Logon")
            return False
        appl_ver = self.appl_ver
        if appl_ver is not None and not appl_ver.dictionaries.supports(value):
            supported = ", ".join(version_name(v) for v in appl_ver.dictionaries.supported) or "none"
            self._refuse_logon(
                f"DefaultApplVerID(1137)={v.quote_received(value)} is not supported; supported: {supported}"
            )
            return False
        text = value.decode("latin-1")
        if text != self.target_default_appl_ver_id:
            shown = version_name(text) if text in APPL_VER_DICTIONARIES else v.quote_received(text)
            log.info("%s: counterparty's DefaultApplVerID(1137)=%s", self.config.session_id, shown)
            self.target_default_appl_ver_id = text
            if appl_ver is not None:
                appl_ver.counterparty_default = value
            self.forget_fast_shapes()  # shapes learnt without 1128 were judged by the former default
        return True

    def _refuse_logon(self, text: str) -> None:
        """Logout naming why the Logon is refused, then disconnect (logged with the session)."""
        log.warning("%s: Logon refused: %s", self.config.session_id, text)
        self.logout_and_disconnect(text)

    _HANDLERS: dict[str, Callable[[Any, Inbound, bool, bool], None]] = {**AdminHandlers._HANDLERS, "A": _on_logon}


__all__ = ["LogonHandlers"]
