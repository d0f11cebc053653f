# The one-order lane (compiled twin of pyfixmsg_plus/session/lane_py.py; included by fastpath.pyx).
# Same class, same results: see the twin for the rules. It keeps no numbers of its own: it reads and moves the
# session's state, so the general path always sees where the lane left it. No buffer is read here (the
# scanner's passes_frame does that, bounded by the frame's length).

from pyfixmsg_plus.session.admin import NOT_BODY_TAGS as _NOT_BODY_TAGS, encoder_module as _encoder_module
from pyfixmsg_plus.session.lane_py import MAX_MSG_TYPE_NAMES as _MAX_MSG_TYPE_NAMES

cdef class SessionLane:
    """The steady-state receive and send of one session (see ``pyfixmsg_plus.session.lane_py``)."""

    cdef object _session
    cdef object _save_inbound
    cdef object _new_record
    cdef object _owner
    cdef dict _names
    cdef object _encoder
    cdef object _encode

    def __init__(self, session, save_inbound, new_record, owner=None):
        self._session = session
        self._save_inbound = save_inbound
        self._new_record = new_record
        self._owner = owner
        self._names = {}
        config = session.config
        self._encoder = _encoder_module().AppFrameEncoder(
            config.begin_string, config.sender_comp_id, config.target_comp_id, config.timestamp_precision,
            _NOT_BODY_TAGS)
        self._encode = self._encoder.encode

    def receive(self, frame, code, now):
        """See the twin: the MsgType(35) of an accepted and stored frame, or None (nothing changed)."""
        session = self._session
        if not session._active or not session.received_logon:
            return None
        seq = session.seq
        if seq.resend is not None or seq.queue:
            return None
        fast = session._fast
        scanner = fast.app
        if scanner is None or fast.batch is not None:
            return None
        timers = session.timers
        if timers.test_requests_sent or session._armed is None:
            return None
        seqnum = seq.next_target
        sender = seq.next_sender
        # unpacked (length checked), not indexed: the module turns boundscheck off
        saved_sender, saved_target = session._saved
        if saved_sender != sender or saved_target != seqnum:
            return None
        swallow_end = session._swallow_end if session._swallow_buffer is frame else -1
        if swallow_end > 0:
            return None
        if type(scanner) is RunScanner:  # the compiled scanner: its check without a Python method call
            if not (<RunScanner>scanner)._passes(frame, code, seqnum, now):
                return None
        elif not scanner.passes_frame(frame, code, seqnum, now):
            return None
        msg_type = self._name(code)
        following = seqnum + 1
        session.now = now
        seq.next_target = following
        timers.last_received = now
        session._swallow_buffer = frame
        session._swallow_end = swallow_end
        session._saved = (sender, following)
        if self._owner is not None:
            self._owner._saved_next_target = following
        self._save_inbound((self._new_record((seqnum, msg_type, now, frame)),), following)
        return msg_type

    def send(self, msg_type, fields, now):
        """See the twin: the store record of a numbered and encoded message, or None (nothing changed)."""
        session = self._session
        if not session._active or session._armed is None:
            return None
        seq = session.seq
        seqnum = seq.next_sender
        target = seq.next_target
        saved_sender, saved_target = session._saved  # unpacked (length checked), not indexed
        if saved_sender != seqnum or saved_target != target:
            return None
        frame = self._encode(msg_type, seqnum, now, fields)  # None: a header tag among the fields
        if frame is None:
            return None
        following = seqnum + 1
        session.now = now
        seq.next_sender = following
        session._saved = (following, target)
        session.timers.last_sent = now
        return self._new_record((seqnum, msg_type, now, frame))

    cdef object _name(self, code):
        msg_type = self._names.get(code)
        if msg_type is None:
            msg_type = code.decode("latin-1")
            if len(self._names) < _MAX_MSG_TYPE_NAMES:
                self._names[code] = msg_type
        return msg_type
