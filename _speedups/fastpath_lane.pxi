# The one-order lane (compiled twin of pyfixmsg_plus/session/lane_py.py; included by fastpath.pyx).
# Same class, same results: see the twin for the rules. It keeps no numbers of its own: it reads and moves the
# session's state, so the general path always sees where the lane left it. No buffer is read here (the
# scanner's passes_frame does that, bounded by the frame's length).

from operator import itemgetter as _itemgetter

from pyfixmsg_plus.session.admin import NOT_BODY_TAGS as _NOT_BODY_TAGS, encoder_module as _encoder_module
from pyfixmsg_plus.session.lane_py import MAX_MSG_TYPE_NAMES as _MAX_MSG_TYPE_NAMES

cdef object _tag_of = _itemgetter(0)


cdef class SessionLane:
    """The steady-state receive and send of one session (see ``pyfixmsg_plus.session.lane_py``)."""

    cdef object _session
    cdef object _save_inbound
    cdef object _new_record
    cdef object _owner
    cdef dict _names
    cdef object _begin
    cdef object _sender_comp_id
    cdef object _target_comp_id
    cdef object _precision
    cdef object _sending_time
    cdef object _encode_message

    def __init__(self, session, save_inbound, new_record, owner=None):
        self._session = session
        self._save_inbound = save_inbound
        self._new_record = new_record
        self._owner = owner
        self._names = {}
        config = session.config
        self._begin = config.begin_string
        self._sender_comp_id = config.sender_comp_id
        self._target_comp_id = config.target_comp_id
        self._precision = config.timestamp_precision
        self._sending_time = session.builder._sending_time
        self._encode_message = _encoder_module().encode_message

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
        if swallow_end > 0 or not scanner.passes_frame(frame, code, seqnum, now):
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
        if not _NOT_BODY_TAGS.isdisjoint(map(_tag_of, fields)):
            return None
        sending_time = self._sending_time(now, self._precision)
        frame = self._encode_message(self._begin, [
            (35, msg_type), (34, seqnum), (49, self._sender_comp_id), (52, sending_time),
            (56, self._target_comp_id), *fields])
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
