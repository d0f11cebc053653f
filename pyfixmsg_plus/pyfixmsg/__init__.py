"""Drop-in import paths of pyfixmsg: ``from pyfixmsg_plus.pyfixmsg import RepeatingGroup`` etc.

Porting code written for Morgan Stanley's pyfixmsg is a one-line change: ``pyfixmsg`` becomes
``pyfixmsg_plus.pyfixmsg`` (``.fixmessage``, ``.codecs.stringfix``, ``.reference``, ``.util``).
"""

from pyfixmsg_plus.message.fixmessage import STRSUM, RepeatingGroup, RepeatingGroupFactory, len_and_chsum

__all__ = ["STRSUM", "RepeatingGroup", "RepeatingGroupFactory", "len_and_chsum"]
