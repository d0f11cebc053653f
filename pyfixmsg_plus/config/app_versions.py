"""The FIX application versions a FIXT.1.1 session may carry, as the suffixes of QuickFIX's per-version
``AppDataDictionary.<BeginString>`` keys, and the version a QuickFIX XML dictionary file declares.

QuickFIX C++ (SessionFactory::processFixtDataDictionaries) reads ``AppDataDictionary.FIX.4.4 = FIX44.xml``: the
text after the first dot is a BeginString that ``Message::toApplVerID`` turns into an ApplVerID(1128) value.
The configuration layer reads only the root element of a file here (cheap), so that ``config check`` can tell a
FIX 4.2 file given as ``AppDataDictionary.FIX.4.4`` without parsing the whole dictionary.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET

from pyfixmsg_plus.session.fixt import APPL_VER_DICTIONARIES

#: the suffixes of ``AppDataDictionary.<BeginString>``: the BeginString of every FIX application version with an
#: ApplVerID(1128) value, 2 (FIX.4.0) to 9 (FIX.5.0SP2), in that order
APPLICATION_VERSIONS: tuple[str, ...] = tuple(APPL_VER_DICTIONARIES.values())
_BY_LOWER = {version.lower(): version for version in APPLICATION_VERSIONS}


def application_version(suffix: str) -> str | None:
    """The canonical spelling of an application BeginString written in any case (``fix.5.0sp1`` ->
    ``FIX.5.0SP1``); None when ``suffix`` names none of :data:`APPLICATION_VERSIONS`."""
    return _BY_LOWER.get(suffix.strip().lower())


def declared_version(major: int, minor: int, servicepack: int, kind: str = "FIX") -> str:
    """The BeginString-style name of a dictionary's ``<fix type major minor servicepack>``: ``FIX.4.4``,
    ``FIX.5.0SP1``, ``FIXT.1.1`` (a transport dictionary)."""
    if kind == "FIXT":
        return f"FIXT.{major}.{minor}"
    pack = f"SP{servicepack}" if servicepack else ""
    return f"FIX.{major}.{minor}{pack}"


def dictionary_version(path: str | os.PathLike[str]) -> str | None:
    """The version the QuickFIX XML dictionary at ``path`` declares on its root element (see
    :func:`declared_version`); None when the file cannot be read or its root is no ``<fix major= minor=>``
    (the engine names that problem when it loads the file)."""
    try:
        with open(path, "rb") as stream:
            for _event, root in ET.iterparse(stream, events=("start",)):
                return _root_version(root)  # the root element's start: the rest of the file is not read
    except (OSError, ET.ParseError):
        return None
    return None


def _root_version(root: ET.Element) -> str | None:
    if root.tag != "fix":
        return None
    try:
        major, minor = int(root.get("major", "")), int(root.get("minor", ""))
        servicepack = int(root.get("servicepack") or 0)
    except ValueError:
        return None
    return declared_version(major, minor, servicepack, root.get("type", "FIX"))
