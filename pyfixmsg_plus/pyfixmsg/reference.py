"""``pyfixmsg.reference`` names, from :mod:`pyfixmsg_plus.message.reference`."""

from pyfixmsg_plus.message.reference import *  # noqa: F403 - the alias re-exports the whole module
from pyfixmsg_plus.message.reference import (
    ENCODED_DATA_TAGS,
    HEADER_SORT_MAP,
    HEADER_TAGS,
    TRAILER_TAGS,
    Component,
    FixSpec,
    FixTag,
    Group,
    MessageType,
    TagsReference,
)

__all__ = [
    "ENCODED_DATA_TAGS",
    "HEADER_SORT_MAP",
    "HEADER_TAGS",
    "TRAILER_TAGS",
    "Component",
    "FixSpec",
    "FixTag",
    "Group",
    "MessageType",
    "TagsReference",
]
