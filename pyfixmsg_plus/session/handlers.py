"""The FIX admin protocol: checks every received message goes through, and the handler of each admin MsgType.

Mixed into :class:`~pyfixmsg_plus.session.core.Session`; the order of the checks is the order FIX (and QuickFIX)
applies them: BeginString, required header fields, dictionary validation, SendingTime accuracy, CompIDs, then
MsgSeqNum (too high: queue and ResendRequest; too low: PossDup handling or Logout). The Logon (35=A) exchange is
in :mod:`pyfixmsg_plus.session.logon`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyfixmsg_plus.session import validation as v
from pyfixmsg_plus.session.config import ADMIN_MSG_TYPES
from pyfixmsg_plus.session.events import (
    FetchResend,
    MessageReceived,
    Output,
    RejectSent,
    ResetStore,
    StoreTiming,
)
from pyfixmsg_plus.session.fixt import (
    APPL_VER_ID,
    DEFAULT_APPL_VER_ID,
    ApplVerValidator,
    UnsupportedApplVerID,
)
from pyfixmsg_plus.session.inbound import Inbound, parse_utc_timestamp
from pyfixmsg_plus.session.resend import effective_end
from pyfixmsg_plus.session.sequencing import (
    INFINITY_BEFORE_FIX42,
    INFINITY_FROM_FIX42,
    MAX_SEQ_NUM,
    ResendRequestFields,
)
from pyfixmsg_plus.session.states import SessionState

if TYPE_CHECKING:
    from pyfixmsg_plus.session.admin import MessageBuilder
    from pyfixmsg_plus.session.config import PairsValidator, SessionConfig
    from pyfixmsg_plus.session.sequencing import Sequencing
    from pyfixmsg_plus.session.timers import Timers

log = logging.getLogger("pyfixmsg_plus.session")


class RefusedWithoutAnswer(str):
    """A Logon check's refusal (``SessionConfig.logon_check``) that closes the connection without a Logout(35=5),
    so that no MsgSeqNum(34) is used: QuickFIX's answer to a Logon outside session time (StartTime/EndTime). The
    text is the reason, logged with the disconnection."""

    __slots__ = ()


class AdminHandlers:
    """Receive-side rules of the session (see the module docstring)."""

    config: SessionConfig
    validator: PairsValidator | None
    #: FIXT.1.1 sessions with a dictionary per application version (None on FIX 4.x sessions)
    appl_ver: ApplVerValidator | None
    #: FIXT.1.1: DefaultApplVerID(1137) of the counterparty's last accepted Logon (None before one)
    target_default_appl_ver_id: str | None
    is_fixt: bool
    builder: MessageBuilder
    seq: Sequencing
    timers: Timers
    now: float
    received_logon: bool
    sent_reset: bool
    sent_logout: bool
    #: NextExpectedMsgSeqNum(789) of the last Logon sent on this connection (None: none sent, or the setting
    #: is off)
    sent_next_expected: int | None

    # provided by Session
    @property
    def state(self) -> SessionState:
        raise NotImplementedError

    def emit(self, output: Output) -> None: ...
    def emit_fetch(self, fetch: FetchResend) -> None: ...
    def collect_batch(self, inbound: Inbound) -> None: ...
    def delivered(self, inbound: Inbound) -> None: ...
    def emit_frame(self, frame: bytes, seqnum: int, msg_type: str, store: StoreTiming) -> None: ...
    def emit_stored_inbound(self, seqnum: int, frame: bytes, msg_type: str) -> None: ...
    def send_new(self, msg_type: str, build: Callable[[int], bytes]) -> int:
        raise NotImplementedError

    def disconnect(self, reason: str, emit_effect: bool = True) -> None: ...
    def move_to(self, state: SessionState) -> None: ...
    def forget_fast_shapes(self) -> None: ...

    # ------------------------------------------------------------------ entry point
    def handle(self, inbound: Inbound, queued: bool, known_in_sequence: bool) -> None:
        """Apply the session rules to one valid frame."""
        msg_type = inbound.msg_type
        if not self.received_logon and msg_type != "A":
            if self.config.is_initiator and msg_type == "5":
                refusal = inbound.text(58)
                self.disconnect(f"Logon refused: {v.quote_received(refusal) if refusal else 'Logout received'}")
            else:  # FIX: the first message on a connection must be a Logon
                self.disconnect(f"first message was MsgType {v.quote_received(msg_type)}, not Logon (35=A)")
            return
        # any message of a logged-on peer is traffic, a rejected one too: a peer that keeps talking is not silent
        # (without this, a peer whose messages are all rejected got a TestRequest after HeartBtInt)
        self.timers.received(self.now)
        if not self._check_begin_string(inbound) or not self._check_header_present(inbound):
            return
        if not self._check_dictionary(inbound):
            return
        handler = self._HANDLERS.get(msg_type)
        if handler is None:
            self._on_application(inbound, queued, known_in_sequence)
        else:
            handler(self, inbound, queued, known_in_sequence)

    # ------------------------------------------------------------------ checks before dispatch
    def _check_begin_string(self, inbound: Inbound) -> bool:
        """BeginString (8) must be the session's: Logout "Incorrect BeginString" (a Logon: disconnect)."""
        if inbound.begin_string == self.config.begin_string:
            return True
        if inbound.msg_type == "A":
            self.disconnect(
                f"Logon with BeginString(8)={v.quote_received(inbound.begin_string)}, "
                f"expected {self.config.begin_string!r}"
            )
        elif inbound.msg_type == "5":
            self._on_logout(inbound, False, False)
        else:
            self.initiate_logout("Incorrect BeginString")
            if inbound.seqnum == self.seq.next_target:
                self.seq.accept_target()
        return False

    def _check_header_present(self, inbound: Inbound) -> bool:
        """SenderCompID (49), TargetCompID (56) and MsgSeqNum (34) must be there."""
        for tag in (49, 56):
            if tag not in inbound.first:
                if inbound.msg_type == "A":
                    self.logout_and_disconnect(f"Logon without required tag {tag}")
                else:
                    self.reject(inbound, v.cause(v.REQUIRED_TAG_MISSING, tag))
                return False
        if inbound.seqnum is None:  # FIX: a message without a usable MsgSeqNum ends the session
            self.logout_and_disconnect("MsgSeqNum(34) missing or not a number")
            return False
        return True

    def _check_dictionary(self, inbound: Inbound) -> bool:
        """Validation against the data dictionary; a failure is answered with Reject (a bad Logon: Logout).

        FIXT.1.1: the validator is an :class:`ApplVerValidator`, which picks the transport dictionary for admin
        messages, else that of the header's ApplVerID(1128) (as its ``shape_spec`` does for the fast path), else
        of the counterparty's DefaultApplVerID(1137); an ApplVerID without one gets Reject 373=5, 371=1128, an
        empty one 373=4."""
        validator = self.validator
        if validator is None:
            return True
        try:
            validator.validate(inbound.pairs)
        except UnsupportedApplVerID as error:
            self._reject_appl_ver_id(inbound, error)
            return False
        except Exception as error:  # FixValidationError and subclasses; anything else is a bug worth a Reject too
            if not hasattr(error, "reason"):
                raise
            reject_cause = v.cause_from_error(error, inbound)
            if inbound.msg_type == "A":
                self.logout_and_disconnect(f"Invalid Logon: {reject_cause.text} ({reject_cause.ref_tag})")
            else:
                self.reject(inbound, reject_cause)
            return False
        return True

    def _reject_appl_ver_id(self, inbound: Inbound, error: UnsupportedApplVerID) -> None:
        """Reject 373=5 (Value is incorrect), RefTagID(371)=1128, the Text naming the value at fault."""
        log.warning(
            "%s: Reject of MsgSeqNum(34)=%s MsgType(35)=%s: %s",
            self.config.session_id,
            inbound.seqnum,
            inbound.msg_type,
            error.text,
        )
        text = f"{v.reject_text(v.VALUE_IS_INCORRECT)}: ApplVerID(1128)={v.quote_received(error.value)}"
        if error.source_tag == DEFAULT_APPL_VER_ID:
            text += " (the Logon's DefaultApplVerID)"
        self.reject(inbound, v.RejectCause(v.VALUE_IS_INCORRECT, str(APPL_VER_ID), text))

    def verify(
        self, inbound: Inbound, check_high: bool, check_low: bool, queued: bool = False, known: bool = False
    ) -> bool:
        """SendingTime accuracy, CompIDs and MsgSeqNum; False when the message must not be processed further.

        ``known``: the batch sequence check (seqcheck) found the frame in an unbroken in-sequence run; when no gap
        is open and the number is still the expected one, the gap bookkeeping is skipped."""
        if not queued and not self._check_sending_time(inbound):
            return False
        if not self._check_comp_ids(inbound):
            return False
        # (the timers were told of this message by handle, the only way here, before the checks)
        seqnum = inbound.seqnum or 0
        expected = self.seq.next_target
        if known and seqnum == expected and self.seq.resend is None:
            return True
        if check_high and seqnum > expected:
            self.on_too_high(inbound)
            return False
        if check_low and seqnum < expected:
            self._on_too_low(inbound)
            return False
        if check_high or check_low:
            self._send_resend_request(
                self.seq.gap_progress(seqnum, self.config.resend_request_chunk_size, self._infinity)
            )
        return True

    def _check_sending_time(self, inbound: Inbound) -> bool:
        """SendingTime (52) within MaxLatency of now, else Reject 373=10 and Logout."""
        if not self.config.check_latency:
            return True
        sending_time = inbound.timestamp(52)
        if sending_time is not None and abs(self.now - sending_time) <= self.config.max_latency:
            return True
        if inbound.msg_type == "A":
            self.logout_and_disconnect(v.reject_text(v.SENDINGTIME_ACCURACY_PROBLEM))
        else:
            self.reject(inbound, v.cause(v.SENDINGTIME_ACCURACY_PROBLEM))
            self.initiate_logout()
        return False

    def _check_comp_ids(self, inbound: Inbound) -> bool:
        """SenderCompID (49) and TargetCompID (56) are the session's, else Reject 373=9 and Logout."""
        if not self.config.check_comp_id:
            return True
        if inbound.text(49) == self.config.target_comp_id and inbound.text(56) == self.config.sender_comp_id:
            return True
        if inbound.msg_type == "A":
            self.disconnect(
                f"Logon from 49={v.quote_received(inbound.text(49))} to 56={v.quote_received(inbound.text(56))} "
                f"is not for {self.config.session_id}"
            )
        else:
            self.reject(inbound, v.cause(v.COMPID_PROBLEM))
            self.initiate_logout()
        return False

    def on_too_high(self, inbound: Inbound) -> None:
        """MsgSeqNum too high: keep the message and ask for the gap once (no duplicate ResendRequest)."""
        self.seq.enqueue(inbound.seqnum or 0, inbound)
        request = self.seq.gap_request(
            inbound.seqnum or 0,
            self.config.resend_request_chunk_size,
            self._infinity,
            self.config.send_redundant_resend_requests,
        )
        self._send_resend_request(request)

    def _on_too_low(self, inbound: Inbound) -> None:
        """MsgSeqNum too low: without PossDupFlag(43)=Y a fatal error; with it a duplicate, checked and dropped."""
        if not inbound.poss_dup:
            text = f"MsgSeqNum too low, expecting {self.seq.next_target} but received {inbound.seqnum}"
            self.logout_and_disconnect(text)
            return
        if inbound.msg_type == "4":  # a SequenceReset needs no OrigSendingTime
            return
        if 122 not in inbound.first:  # FIX: a PossDup resend must carry OrigSendingTime
            self.reject(inbound, v.cause(v.REQUIRED_TAG_MISSING, 122))
            return
        original = inbound.timestamp(122)
        sending = inbound.timestamp(52)
        if original is None or (sending is not None and original > sending):
            self.reject(inbound, v.cause(v.SENDINGTIME_ACCURACY_PROBLEM))
            self.initiate_logout()

    @property
    def _infinity(self) -> int:
        return INFINITY_FROM_FIX42 if self.config.version_key >= (4, 2) else INFINITY_BEFORE_FIX42

    # ------------------------------------------------------------------ acceptance and replies
    def accept(self, inbound: Inbound, deliver: bool = True) -> None:
        """The expected message was processed: advance, keep it, and tell the application when ``deliver``."""
        seqnum = self.seq.next_target
        self.seq.accept_target()
        self.emit_stored_inbound(seqnum, inbound.frame, inbound.msg_type)
        if deliver and inbound.msg_type in self.config.batch_msg_types:
            self.collect_batch(inbound)
        elif deliver:
            self.emit(
                MessageReceived(
                    inbound.msg_type,
                    seqnum,
                    inbound.pairs,
                    inbound.frame,
                    inbound.msg_type in ADMIN_MSG_TYPES,
                    inbound.poss_dup,
                )
            )
            self.delivered(inbound)

    def deliver_admin(self, inbound: Inbound) -> None:
        """An admin message passed the checks (QuickFIX's ``verify``, which ends by calling ``fromAdmin``): hand
        it to the application now, before the session acts on it (its answer, onLogon, onLogout). Called once
        per message: a message queued for a gap is handed over when it is processed, a PossDup duplicate
        (too low) never; the handlers then accept it with ``deliver=False``."""
        self.emit(MessageReceived(inbound.msg_type, inbound.seqnum or 0, inbound.pairs, inbound.frame, True,
                                  inbound.poss_dup))  # fmt: skip

    def reject(self, inbound: Inbound, reject_cause: v.RejectCause) -> None:
        """Session-level Reject (35=3); the rejected message still uses up its number when it was the expected one
        (FIX: "increment inbound MsgSeqNum"), except Logon and SequenceReset."""
        now = self.now
        self.send_new(
            "3",
            lambda seqnum: self.builder.reject(
                seqnum, now, inbound, reject_cause.reason, reject_cause.text, reject_cause.ref_tag
            ),
        )
        self.emit(RejectSent("3", inbound.seqnum, reject_cause.reason, reject_cause.text))
        if inbound.msg_type not in ("A", "4") and inbound.seqnum == self.seq.next_target:
            self.seq.accept_target()

    def business_reject(self, inbound: Inbound, reason: int, text: str) -> None:
        """BusinessMessageReject (35=j, FIX 4.2+) for an application message; before 4.2 a session Reject."""
        if self.config.version_key < (4, 2):
            self.reject(inbound, v.RejectCause(v.OTHER, None, text))
            return
        now = self.now
        self.send_new("j", lambda seqnum: self.builder.business_reject(seqnum, now, inbound, reason, text))
        self.emit(RejectSent("j", inbound.seqnum, reason, text))
        if inbound.seqnum == self.seq.next_target:
            self.seq.accept_target()

    def initiate_logout(self, text: str = "") -> None:
        """Send Logout once and wait LogoutTimeout for the answer."""
        if self.sent_logout or self.state not in (SessionState.ACTIVE, SessionState.LOGON_IN_PROGRESS):
            return
        now = self.now
        self.send_new("5", lambda seqnum: self.builder.logout(seqnum, now, text))
        self.sent_logout = True
        self.timers.logout_deadline = now + self.config.logout_timeout
        self.move_to(SessionState.LOGOUT_IN_PROGRESS)

    def logout_and_disconnect(self, text: str) -> None:
        """Fatal session error: Logout naming it, then close the transport."""
        now = self.now
        self.send_new("5", lambda seqnum: self.builder.logout(seqnum, now, text))
        self.disconnect(text)

    def reset_sequences(self) -> None:
        """Both sequence numbers back to 1 and the store told to start afresh."""
        self.seq.reset()
        self.emit(ResetStore())

    def _send_resend_request(self, request: ResendRequestFields | None) -> None:
        if request is None:
            return
        now = self.now
        self.send_new(
            "2", lambda seqnum: self.builder.resend_request(seqnum, now, request.begin, request.end)
        )

    # ------------------------------------------------------------------ handlers by MsgType
    def _on_heartbeat(self, inbound: Inbound, queued: bool, known: bool) -> None:
        """Heartbeat (35=0)."""
        if self.verify(inbound, True, True, queued, known):
            self.deliver_admin(inbound)
            self.accept(inbound, deliver=False)

    def _on_test_request(self, inbound: Inbound, queued: bool, known: bool) -> None:
        """TestRequest (35=1): answer with a Heartbeat carrying its TestReqID (112)."""
        if not self.verify(inbound, True, True, queued, known):
            return
        self.deliver_admin(inbound)
        test_req_id, now = inbound.first.get(112), self.now
        self.send_new("0", lambda seqnum: self.builder.heartbeat(seqnum, now, test_req_id))
        self.accept(inbound, deliver=False)

    def _on_resend_request(self, inbound: Inbound, queued: bool, known: bool) -> None:
        """ResendRequest (35=2): answered whatever its own number (FIX: resend first, then handle our gap)."""
        if not self.verify(inbound, False, False, queued):
            return
        self.deliver_admin(inbound)  # QuickFIX: whatever its MsgSeqNum(34), as it is acted on whatever it is
        begin, end = inbound.integer(7), inbound.integer(16)
        if begin is None or end is None:
            tag, name = (7, "BeginSeqNo") if begin is None else (16, "EndSeqNo")
            self.reject(inbound, v.unreadable_seqnum(tag, name, inbound.first.get(tag)))
            return
        if begin < 1:  # FIX: MsgSeqNum starts at 1; a replay from 0 would send a SequenceReset numbered 0
            self.reject(inbound, v.value_out_of_range(7, "BeginSeqNo", inbound.first.get(7), "MsgSeqNum starts at 1"))
            return
        last = effective_end(end, self.seq.next_sender, (INFINITY_FROM_FIX42, INFINITY_BEFORE_FIX42))
        if begin <= last:
            self.emit_fetch(FetchResend(begin, last))
        seqnum = inbound.seqnum or 0
        if seqnum == self.seq.next_target:
            self.accept(inbound, deliver=False)
        elif seqnum > self.seq.next_target:
            inbound.already_processed = True
            self.on_too_high(inbound)

    def _on_reject(self, inbound: Inbound, queued: bool, known: bool) -> None:
        """Reject (35=3): the counterparty refused one of ours; counted and passed to the application."""
        if self.verify(inbound, True, True, queued, known):
            self.deliver_admin(inbound)
            self.accept(inbound, deliver=False)

    def _on_sequence_reset(self, inbound: Inbound, queued: bool, known: bool) -> None:
        """SequenceReset (35=4): GapFill mode is sequence-checked; Reset mode never lowers the expected number."""
        gap_fill = inbound.flag(123)
        if not self.verify(inbound, gap_fill, gap_fill, queued, known):
            return
        self.deliver_admin(inbound)  # QuickFIX: before NewSeqNo(36) is acted on (or rejected)
        new_seqno = inbound.integer(36)
        expected = self.seq.next_target
        if new_seqno is None:
            self.reject(inbound, v.unreadable_seqnum(36, "NewSeqNo", inbound.first.get(36)))
        elif new_seqno > MAX_SEQ_NUM:
            why = f"above {MAX_SEQ_NUM}, the largest MsgSeqNum(34) a message store keeps"
            self.reject(inbound, v.value_out_of_range(36, "NewSeqNo", inbound.first.get(36), why))
        elif new_seqno > expected:
            self.seq.set_next_target(new_seqno)
            self._send_resend_request(
                self.seq.gap_progress(new_seqno - 1, self.config.resend_request_chunk_size, self._infinity)
            )
        elif new_seqno < expected:  # FIX: NewSeqNo(36) below the expected number is rejected, 373=5
            self.reject(inbound, v.cause(v.VALUE_IS_INCORRECT))

    def _on_logout(self, inbound: Inbound, queued: bool, known: bool) -> None:
        """Logout (35=5): answer it unless we asked, then close (whatever its MsgSeqNum)."""
        if not self.verify(inbound, False, False, queued):
            return
        self.deliver_admin(inbound)  # QuickFIX: fromAdmin(Logout) before the answer and onLogout
        if not self.sent_logout:
            now = self.now
            self.send_new("5", lambda seqnum: self.builder.logout(seqnum, now))
        if inbound.seqnum == self.seq.next_target:
            self.accept(inbound, deliver=False)
        if self.config.reset_on_logout:
            self.reset_sequences()
        self.disconnect("Logout received" if not self.sent_logout else "Logout answered")

    def _on_application(self, inbound: Inbound, queued: bool, known: bool) -> None:
        """An application message: sequence-checked, then delivered (or BusinessMessageReject if unsupported)."""
        if not self.verify(inbound, True, True, queued, known):
            return
        supported = self.config.supported_app_msg_types
        if supported is not None and inbound.msg_type not in supported:
            self.business_reject(inbound, v.UNSUPPORTED_MESSAGE_TYPE, "Unsupported Message Type")
            return
        self.accept(inbound)

    #: handlers of the admin MsgTypes; Logon (35=A) is added by :class:`~pyfixmsg_plus.session.logon.LogonHandlers`
    _HANDLERS: dict[str, Callable[[Any, Inbound, bool, bool], None]] = {
        "0": _on_heartbeat,
        "1": _on_test_request,
        "2": _on_resend_request,
        "3": _on_reject,
        "4": _on_sequence_reset,
        "5": _on_logout,
    }


__all__ = ["AdminHandlers", "RefusedWithoutAnswer", "parse_utc_timestamp"]
