# The wire fast path of parser.pyx (included there): compiled group layouts and MessageParser.
#
# One frame is tokenized into a C field table first (a strict frame or nothing: None sends it to the lenient
# path before any object exists), then the message is built in one forward walk over the table.

# --- compiled group layouts: bitsets instead of dict/set look-ups per field -----------------------------------

cdef enum:
    BITSET_BYTES = (TAG_CACHE + 7) // 8


cdef inline bint _bit(const unsigned char* bits, long tag) noexcept:
    return bits[tag >> 3] & (1 << (tag & 7))


@cython.auto_pickle(False)  # pickled with its _Level (as the raw layout): a bitset is no Python value
cdef class _Group:
    """One group of a compiled layout: delimiter, members (bitset below TAG_CACHE, frozenset above), nested level."""
    cdef object first_tag
    cdef object members
    cdef unsigned char member_bits[BITSET_BYTES]
    cdef _Level nested
    cdef Py_ssize_t entry_size_hint  # fields in the last entry built (the size the next one is created with)

    cdef inline int has_member(self, long tag) except -1:
        if 0 <= tag < TAG_CACHE:
            return _bit(self.member_bits, tag)
        return tag in self.members


cdef class _Level:
    """One level of a compiled layout: count tags (bitset + dict count tag -> _Group), and how many fields the
    last dict built at this level held (the size its next dict is created with; only a hint).

    Pickled as the raw layout it stands for, compiled again when loaded (Cython's own pickling of the bitsets
    would turn them into bytes cut at their first zero byte, which fail to load)."""
    cdef unsigned char count_bits[BITSET_BYTES]
    cdef dict groups
    cdef bint empty
    cdef Py_ssize_t size_hint

    def __reduce__(self):
        return _level_from_layout, (_raw_layout(self),)

    cdef inline bint may_count(self, long tag) noexcept:
        """False when tag is surely not a count tag here (the bitset answers below TAG_CACHE)."""
        return not self.empty and (not 0 <= tag < TAG_CACHE or _bit(self.count_bits, tag))

    cdef PyObject* group(self, long tag) except? NULL:
        """The _Group counted by tag (borrowed), or NULL."""
        if not self.may_count(tag):
            return NULL
        return PyDict_GetItemWithError(self.groups, tag)


cdef inline int _set_field(object target, long tag, object value) except -1:
    """target[tag] = value with the shared int object of tag (tags are >= 0: hash(tag) == tag)."""
    if 0 <= tag < TAG_CACHE:
        return pfp_set_tag(target, <object>_tag_cache[tag], tag, value, 1)
    return pfp_set_tag(target, tag, tag, value, 0)


cdef _Level _compile_level(layout):
    cdef _Level level = _Level.__new__(_Level)
    cdef _Group group
    cdef long tag
    level.groups = {}
    level.empty = not layout
    if level.empty:
        return level
    for count_tag, (first_tag, members, nested) in layout.items():
        tag = count_tag
        group = _Group.__new__(_Group)
        group.first_tag = first_tag
        group.members = frozenset(members)
        for member in group.members:
            if 0 <= member < TAG_CACHE:
                group.member_bits[<long>member >> 3] |= 1 << (<long>member & 7)
        group.nested = _compile_level(nested)
        level.groups[count_tag] = group
        if 0 <= tag < TAG_CACHE:
            level.count_bits[tag >> 3] |= 1 << (tag & 7)
    return level


cdef dict _raw_layout(_Level level):
    """The raw layout (``count_tag -> (first_tag, member_tags, nested_layout)``) that compiles to ``level``."""
    cdef _Group group
    cdef dict raw = {}
    for count_tag, found in level.groups.items():
        group = <_Group>found
        raw[count_tag] = (group.first_tag, group.members, _raw_layout(group.nested))
    return raw


def _level_from_layout(layout):
    """A raw layout compiled (how a pickled compiled layout is loaded)."""
    return _compile_level(layout)


def compile_layouts(layouts):
    """``layouts`` (MsgType -> layout) in the form :class:`MessageParser` reads fastest; the pure twin returns it
    unchanged. Both forms are accepted by ``MessageParser`` and ``parse_message``."""
    if layouts is None:
        return None
    return {msg_type: _compile_level(layout) for msg_type, layout in layouts.items()}


cdef _Level _EMPTY_LEVEL = _compile_level(None)
# dict versions count from one per process: mixed into the remembered ones so another process's never match
cdef uint64_t _VERSION_SALT = int.from_bytes(urandom(8), "little")


# --- tokenizing: one pass, the field table -------------------------------------------------------------------

cdef struct FrameView:
    const char* buf
    Field* fields
    Py_ssize_t n
    bint ascii  # every value is ASCII: no per-value check before copying it into a str


cdef Py_ssize_t _tokenize(const char* buf, Py_ssize_t size, int sep, Field* fields, Py_ssize_t capacity,
                          Py_ssize_t* msg_type_index, bint* ascii) noexcept:
    """_tokenize_with: the usual non-digit separator gets its own copy of the loop, without the digit test."""
    if 48 <= sep <= 57:
        return _tokenize_with(buf, size, sep, fields, capacity, msg_type_index, ascii, True)
    return _tokenize_with(buf, size, sep, fields, capacity, msg_type_index, ascii, False)


cdef inline Py_ssize_t _tokenize_with(const char* buf, Py_ssize_t size, int sep, Field* fields, Py_ssize_t capacity,
                                      Py_ssize_t* msg_type_index, bint* ascii, bint digit_sep) noexcept:
    """Fill fields from a strict frame; the number of fields, or -1 when the lenient path must parse it.

    Strict: an ASCII separator other than ``=``; every field is 1-9 ASCII digits (not the separator), ``=``, a
    value without the separator, the separator (the frame ends with one); no MessageEncoding(347). ``capacity``
    >= size // MIN_FIELD_BYTES, so the table never overflows. ``ascii`` is set when every value is ASCII.
    """
    cdef Py_ssize_t pos = 0, start, n = 0
    cdef uint64_t tag, seen = 0
    cdef unsigned int digit
    cdef const char* found
    # digit_sep: a digit separator is legal, if odd: a tag then ends at the separator
    if size == 0 or buf[size - 1] != sep or not 0 <= sep < 128 or sep == 61:
        return -1
    msg_type_index[0] = -1
    while pos < size:
        start = pos
        tag = 0
        # The frame's last byte is the separator, where these loops stop: pos stays <= size - 1 without a check.
        digit = <unsigned char>buf[pos] - 48
        if digit_sep:
            while digit <= 9 and buf[pos] != sep:
                tag = tag * 10 + digit
                pos += 1
                digit = <unsigned char>buf[pos] - 48
        else:  # the usual SOH: the digit test alone ends the tag
            while digit <= 9:
                tag = tag * 10 + digit
                pos += 1
                digit = <unsigned char>buf[pos] - 48
        if pos == start or pos - start > MAX_FAST_TAG_DIGITS or buf[pos] != 61:  # 61: '='
            return -1
        pos += 1
        found = pfp_find_byte(buf + pos, buf + size, sep, &seen)
        if found == NULL or n >= capacity or tag == MESSAGE_ENCODING:
            return -1
        if tag == MSG_TYPE and msg_type_index[0] < 0:
            msg_type_index[0] = n
        fields[n].tag = <long>tag
        fields[n].start = pos
        fields[n].end = found - buf
        n += 1
        pos = found - buf + 1
    ascii[0] = (seen & 0x8080808080808080ULL) == 0
    return n


cdef inline object _field_value(FrameView* frame, Py_ssize_t i):
    """The str value of field i (UTF-8; checked for ASCII only when the frame is not all ASCII)."""
    cdef Field* field = &frame.fields[i]
    if frame.ascii:
        return _ascii_value(frame.buf + field.start, field.end - field.start)
    return _utf8_value(frame.buf + field.start, field.end - field.start)


cdef inline Py_ssize_t _dict_size(object d) noexcept:
    """Entries in d when it is a dict (its own count, whatever __len__ says), else 0."""
    return PyDict_GET_SIZE(d) if PyDict_Check(d) else 0


cdef bint _count_is_zero(FrameView* frame, Py_ssize_t i) noexcept:
    cdef Py_ssize_t j
    for j in range(frame.fields[i].start, frame.fields[i].end):
        if frame.buf[j] != 48:
            return False
    return True


@cython.auto_pickle(False)  # never copied nor pickled: a parser's copy starts with a cache of its own
cdef class _LevelCache:
    """The levels of recent MsgTypes by their raw bytes (1-7, packed with the size: never 0), valid for one
    version of the layouts dict (salted per process, so that a cache of another process never matches): a
    direct-mapped table, a slot per key hash. Keys and levels live in one object, replaced as one."""
    cdef uint64_t keys[LEVEL_CACHE]
    cdef list levels
    cdef uint64_t version

    cdef int forget(self) except -1:
        memset(self.keys, 0, sizeof(self.keys))
        self.version = 0
        if self.levels is None:
            self.levels = [None] * LEVEL_CACHE
        return 0


# --- building: MessageParser ---------------------------------------------------------------------------------

cdef Py_ssize_t _slot_offset(type cls, str name):
    """Byte offset of the writable object slot ``name`` that ``obj.<name> = v`` would set on a ``cls``
    instance, or -1 when the assignment must go through setattr (a __setattr__, property or __dict__ entry)."""
    if not pfp_generic_setattr(<PyTypeObject*>cls):
        return -1
    cdef PyObject* descr = _PyType_Lookup(<PyTypeObject*>cls, <PyObject*>name)
    if descr == NULL or Py_TYPE(<object>descr) != &PyMemberDescr_Type:
        return -1
    cdef PyMemberDef* member = (<PyMemberDescrObject*>descr).d_member
    if member.type != T_OBJECT_EX or member.flags & READONLY:
        return -1
    return member.offset


cdef inline void _set_new_slot(object obj, Py_ssize_t offset, object value) noexcept:
    """Store value in the object slot at offset of a just-created obj (as PyMember_SetOne does)."""
    cdef PyObject** slot = <PyObject**>((<char*><PyObject*>obj) + offset)
    cdef PyObject* old = slot[0]
    Py_INCREF(value)
    slot[0] = <PyObject*>value
    Py_XDECREF(old)


cdef class MessageParser:
    """Builds messages from well-formed frames with one set of layouts, classes and codec (prepared once).

    ``layouts`` maps MsgType(35) str to a group layout (raw or from :func:`compile_layouts`); ``fragment_class``
    makes group entries, ``group_class`` the groups; ``codec`` (may be None) is stored on each message with its
    creation time; ``sep`` is the separator byte.
    """
    cdef object layouts
    cdef dict compiled_levels  # raw layouts compiled on first use: MsgType -> (the raw layout, its _Level)
    cdef object fragment_class
    cdef type group_class
    cdef object codec
    cdef int sep
    cdef bint plain_fragments
    cdef bint fragments_without_init
    cdef object slot_class  # the message class the two offsets below were looked up for
    cdef Py_ssize_t time_offset
    cdef Py_ssize_t codec_offset
    # group_class slots (RepeatingGroup's __slots__), or -1 where setattr must set the attribute
    cdef Py_ssize_t number_tag_offset
    cdef Py_ssize_t first_tag_offset
    cdef Py_ssize_t standard_offset
    cdef object default_class  # parse_message's class when given None
    cdef object fallback  # parse_message's answer to a frame this path declines: fallback(frame, message_class)
    cdef object layouts_source  # called once for the layouts when they are None
    cdef bint lenient  # parse_message hands every frame to the fallback
    cdef _LevelCache level_cache  # the levels of recent MsgTypes (shared by copies: keys and levels stay paired)

    def __cinit__(self, *args, **kwargs):
        # every method is safe on any instance, also one made by __new__ and never set up (a subclass's copy)
        self.compiled_levels = {}
        self.level_cache = _LevelCache.__new__(_LevelCache)
        self.level_cache.forget()

    def __init__(self, layouts, fragment_class, group_class, codec=None, int sep=1, default_class=None,
                 fallback=None, layouts_source=None):
        self.prepare(layouts, fragment_class, group_class, codec, sep, default_class, fallback, layouts_source)

    def __reduce__(self):
        # What the pure twin's pickle holds: the settings, the layouts held now and lenience (a subclass's
        # instance dict too), not what was learnt from frames; loaded without calling __init__, as the pure
        # twin is. copy.copy takes this way too: a copy learns on its own.
        state = (self.layouts, self.fragment_class, self.group_class, self.codec, self.sep, self.default_class,
                 self.fallback, self.layouts_source, self.lenient, getattr(self, "__dict__", None))
        return _new_parser, (type(self),), state

    def __setstate__(self, state):
        layouts, fragment_class, group_class, codec, sep, default_class, fallback, layouts_source, lenient, extra = (
            state
        )
        self.prepare(layouts, fragment_class, group_class, codec, sep, default_class, fallback, layouts_source)
        self.lenient = lenient
        if extra:
            self.__dict__.update(extra)

    cdef int prepare(self, layouts, fragment_class, group_class, codec, int sep, default_class, fallback,
                     layouts_source) except -1:
        """Set up a new parser (``__init__``, and a pickled one when loaded)."""
        if not isinstance(group_class, type):
            raise TypeError(f"MessageParser: group_class={group_class!r} must be a class")
        self.layouts = layouts
        self.compiled_levels = {}
        self.fragment_class = fragment_class
        self.group_class = group_class
        self.codec = codec
        self.sep = sep
        self.plain_fragments = fragment_class is dict
        # A dict subclass that keeps dict.__init__ gains nothing from __init__ without arguments: skip the call.
        self.fragments_without_init = (
            isinstance(fragment_class, type) and issubclass(fragment_class, dict)
            and fragment_class.__init__ is dict.__init__
        )
        self.slot_class = None
        self.number_tag_offset = _slot_offset(group_class, "number_tag")
        self.first_tag_offset = _slot_offset(group_class, "first_tag")
        self.standard_offset = _slot_offset(group_class, "standard")
        self.default_class = default_class
        self.fallback = fallback
        self.layouts_source = layouts_source
        self.lenient = False
        self.level_cache = _LevelCache.__new__(_LevelCache)
        self.level_cache.forget()
        return 0

    def set_lenient(self, bint lenient):
        """With True, ``parse_message`` gives every frame to the fallback (a codec with a text encoding)."""
        self.lenient = lenient

    def reset_layouts(self):
        """Forget the layouts (compiled ones too): the next frame takes them from ``layouts_source`` again."""
        if self.layouts_source is not None:
            self.layouts = None
        self.compiled_levels = {}
        self.level_cache.forget()

    def parse(self, frame, message_class):
        """One well-formed frame as a new ``message_class`` instance (int tags, str values, groups), or None.

        The instance is made without calling ``__init__``; when the parser has a codec, the message's ``_codec``
        and ``_time_ns`` (creation time, ns since the epoch) are set. None means the frame needs the lenient
        tokenizer (see the pure twin for the rules).
        """
        if not isinstance(message_class, type):
            raise TypeError(f"MessageParser.parse: message_class={message_class!r} must be a class")
        return self.parse_frame(frame, <type>message_class)

    def parse_message(self, frame, message_class=None):
        """``parse(frame, message_class or default_class)``, or ``fallback(frame, message_class)`` when that is
        None: a codec's whole ``parse_message`` in one call (see the pure twin)."""
        cls = self.default_class if message_class is None else message_class
        if not isinstance(cls, type):
            raise TypeError(f"MessageParser.parse_message: message_class={cls!r} must be a class")
        message = None if self.lenient else self.parse_frame(frame, <type>cls)
        if message is None:
            if self.fallback is None:
                raise ValueError("MessageParser.parse_message: the frame needs the lenient path; no fallback set")
            return self.fallback(frame, message_class)
        return message

    cdef object parse_frame(self, frame, type message_class):
        if self.layouts is None and self.layouts_source is not None:
            self.layouts = self.layouts_source()
        cdef bytes data = frame if type(frame) is bytes else bytes(frame)
        cdef const char* buf = PyBytes_AS_STRING(data)
        cdef Py_ssize_t size = PyBytes_GET_SIZE(data)
        cdef Field stack_fields[STACK_FIELDS]
        cdef FrameView view
        cdef Py_ssize_t capacity = size // MIN_FIELD_BYTES + 1, msg_type_index
        view.buf = buf
        view.fields = stack_fields
        if capacity > STACK_FIELDS:
            view.fields = <Field*>malloc(capacity * sizeof(Field))
            if view.fields == NULL:
                raise MemoryError(f"MessageParser.parse: no memory for {capacity} fields of a {size}-byte frame")
        else:
            capacity = STACK_FIELDS
        try:
            view.n = _tokenize(buf, size, self.sep, view.fields, capacity, &msg_type_index, &view.ascii)
            if view.n < 0:
                return None
            try:
                return self.build(&view, message_class, msg_type_index)
            except UnicodeDecodeError:
                return None
        finally:
            if view.fields != stack_fields:
                free(view.fields)

    cdef object build(self, FrameView* view, type message_class, Py_ssize_t msg_type_index):
        cdef _Level level = _EMPTY_LEVEL
        if msg_type_index >= 0 and self.has_layouts():
            level = self.level_of_field(view, msg_type_index)
        message = _new_instance(message_class)
        if self.codec is not None:
            self.set_codec_and_time(message, message_class)
        # A message without groups holds every field; else the last message of this MsgType is the best guess
        # (never above this frame's field count, so one big message cannot inflate the next small ones).
        pfp_presize_empty_dict(message, view.n if level.empty else min(level.size_hint, view.n))
        self.fill(view, 0, message, level, None, -1)
        if not level.empty:
            level.size_hint = _dict_size(message)
        return message

    cdef inline bint has_layouts(self) except -1:
        """``bool(layouts)``, read from the dict's own count when layouts is a dict (no truth-value call)."""
        if type(self.layouts) is dict:
            return PyDict_GET_SIZE(self.layouts) != 0
        return bool(self.layouts)

    cdef _Level level_of_field(self, FrameView* view, Py_ssize_t i):
        """``level_for`` the MsgType(35) value in field i, remembered by the value's bytes while the layouts dict
        is unchanged (its version): a MsgType seen before needs no str and no dict look-up."""
        cdef Field* field = &view.fields[i]
        cdef Py_ssize_t size = field.end - field.start, j
        cdef uint64_t version = pfp_dict_version(self.layouts)
        cdef uint64_t key = <uint64_t>size << 56
        cdef unsigned int slot
        if version == 0 or size < 1 or size > 7:
            return self.level_for(_field_value(view, i))
        version ^= _VERSION_SALT
        for j in range(size):
            key |= <uint64_t>(<unsigned char>view.buf[field.start + j]) << (8 * j)
        slot = <unsigned int>((key * 0x9E3779B97F4A7C15ULL) >> 60)  # LEVEL_CACHE == 16 slots
        cdef _LevelCache cache = self.level_cache
        if version != cache.version:
            cache.forget()
            cache.version = version
        elif cache.keys[slot] == key:
            return <_Level>cache.levels[slot]
        level = self.level_for(_field_value(view, i))
        cache = self.level_cache  # (the same object: level_for runs no code that could replace it)
        cache.keys[slot] = key
        cache.levels[slot] = level
        return level

    cdef _Level level_for(self, msg_type):
        cdef PyObject* found
        if type(self.layouts) is dict:  # what compile_layouts returns: no method call per message
            found = PyDict_GetItemWithError(self.layouts, msg_type)
            layout = <object>found if found != NULL else None
        else:
            layout = self.layouts.get(msg_type)
        if layout is None:
            return _EMPTY_LEVEL
        if type(layout) is _Level:
            return <_Level>layout
        cached = PyDict_GetItem(self.compiled_levels, msg_type)
        # compiled from this very layout: an entry replaced in the layouts dict is compiled again (the pair keeps
        # the raw layout alive, so its identity cannot pass to another object)
        if cached != NULL and (<tuple>cached)[0] is layout:
            return <_Level>(<tuple>cached)[1]
        level = _compile_level(layout)
        self.compiled_levels[msg_type] = (layout, level)
        return level

    cdef int set_codec_and_time(self, object message, type message_class) except -1:
        """``message._time_ns = now; message._codec = codec``, written straight into the slots when the class
        stores them in plain slots (FixMessage's ``__slots__``), else with setattr."""
        if message_class is not self.slot_class:
            self.time_offset = _slot_offset(message_class, "_time_ns")
            self.codec_offset = _slot_offset(message_class, "_codec")
            self.slot_class = message_class
        if self.time_offset >= 0:
            _set_new_slot(message, self.time_offset, _time_ns_object())
        else:
            message._time_ns = _time_ns_object()
        if self.codec_offset >= 0:
            _set_new_slot(message, self.codec_offset, self.codec)
        else:
            message._codec = self.codec
        return 0

    cdef object new_group(self, long count_tag, _Group spec):
        """An empty group_class instance with number_tag, first_tag and standard (True) set: straight into the
        slots when the class keeps them in plain slots (RepeatingGroup), else with setattr."""
        group = _new_instance(self.group_class)
        if self.number_tag_offset >= 0:
            _set_new_slot(group, self.number_tag_offset, _tag_object(count_tag))
        else:
            group.number_tag = _tag_object(count_tag)
        if self.first_tag_offset >= 0:
            _set_new_slot(group, self.first_tag_offset, spec.first_tag)
        else:
            group.first_tag = spec.first_tag
        if self.standard_offset >= 0:
            _set_new_slot(group, self.standard_offset, True)
        else:
            group.standard = True
        return group

    cdef inline object new_fragment(self):
        if self.plain_fragments:
            return {}
        if self.fragments_without_init:
            return _new_instance(<type>self.fragment_class)
        return self.fragment_class()

    cdef Py_ssize_t fill(self, FrameView* view, Py_ssize_t i, object target, _Level level, _Group within,
                         long delimiter) except -1:
        """Put fields[i:] into target until a tag outside ``within``'s members or a repeated delimiter; the index
        of the first field not taken."""
        cdef Py_ssize_t start = i
        cdef Field* field
        cdef long tag
        cdef PyObject* group
        cdef pfp_filler filler
        pfp_filler_init(&filler, target)
        while i < view.n:
            field = &view.fields[i]
            tag = field.tag
            if within is not None and ((tag == delimiter and i != start) or not within.has_member(tag)):
                break
            if level.may_count(tag):
                group = level.group(tag)
                if group != NULL and _all_digits(view.buf + field.start, field.end - field.start):
                    i = self.read_group(view, i + 1, tag, <_Group>group, target)
                    pfp_filler_forget(&filler)  # new objects were made: the collector (so Python code) may have run
                    continue
            if 0 <= tag < TAG_CACHE and view.ascii:  # the common case: value made and written in one C step
                pfp_fill_ascii(&filler, _tag_cache[tag], tag, view.buf + field.start, field.end - field.start,
                               _char_cache)
            elif 0 <= tag < TAG_CACHE:
                pfp_fill_str(&filler, _tag_cache[tag], tag, _field_value(view, i))
            else:
                _set_field(target, tag, _field_value(view, i))
                pfp_filler_forget(&filler)  # CPython's insert may have resized the table
            i += 1
        return i

    cdef Py_ssize_t read_group(self, FrameView* view, Py_ssize_t i, long count_tag, _Group spec,
                               object target) except -1:
        """Read the entries of the group counted by field i - 1 into target[count_tag]; the next index."""
        group = self.new_group(count_tag, spec)
        _set_field(target, count_tag, group)
        if _count_is_zero(view, i - 1) or i >= view.n:
            return i
        cdef long delimiter = view.fields[i].tag
        if not spec.has_member(delimiter):
            return i
        while i < view.n and view.fields[i].tag == delimiter:
            entry = self.new_fragment()
            # entries of a group usually share one shape: guess the last one's size, capped by the fields left
            pfp_presize_empty_dict(entry, min(spec.entry_size_hint, view.n - i))
            i = self.fill(view, i, entry, spec.nested, spec, delimiter)
            spec.entry_size_hint = _dict_size(entry)
            PyList_Append(group, entry)
        return i


def _new_parser(cls):
    """An instance of ``cls`` (MessageParser or a subclass) not set up yet: its pickled state sets it up."""
    return cls.__new__(cls)


def parse_message(frame, int sep, layouts, message_class, fragment_class, group_class, codec):
    """One well-formed frame as a new ``message_class`` instance, or None: ``MessageParser(layouts,
    fragment_class, group_class, codec, sep).parse(frame, message_class)`` (prepare a MessageParser to parse many).
    """
    return MessageParser(layouts, fragment_class, group_class, codec, sep).parse(frame, message_class)
