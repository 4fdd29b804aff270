"""Rewrite an Office upload so that nothing in it points outside the document itself.

Word, Excel, PowerPoint (OOXML) and OpenDocument files can refer to things outside their own
ZIP package: an image "linked" to a web address or a local path, a linked OLE object, a
document template, a sub-document, field codes such as ``INCLUDEPICTURE`` or ``INCLUDETEXT``,
DDE links, an ODF section or table that is "a link to" another file. LibreOffice follows such
references while it converts, so an upload could make the server fetch an internal address or
embed a local file in the rendition. :func:`neutralise` copies the package with all of them
removed before the converter sees it:

- OOXML relationships with ``TargetMode="External"`` (hyperlinks with http, https or mailto
  addresses stay: they are links a reader follows, never fetched during conversion), internal
  relationships whose target is not a path inside the package, and relationships of kinds that
  import other content (attached template, sub-document, alternative-format chunk, data
  connection, query table, external workbook, frame, mail-merge source);
- Word field codes other than a fixed list of harmless ones (page numbers, dates, references,
  tables of contents, form fields, ...): the field's last shown result stays as plain text;
  the settings that ask for fields to be updated on opening, mail merge and the template link;
- linked OLE objects, VML image sources, spreadsheet formulas that fetch (``WEBSERVICE``) or
  talk DDE;
- OpenDocument ``href`` attributes that leave the package (links with http, https or mailto
  addresses stay), section and table sources, DDE connections, applets, plug-ins and floating
  frames.

Legacy binary files (.doc, .xls, .ppt) cannot be rewritten this way; for them, as for anything
this list misses, the converter's sandbox (``documents.sandbox``) is the guard: it has no
network and sees no files but its own. This module imports nothing from Django.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote

from lxml import etree

# A part larger than this once decompressed is not a board paper; it is a ZIP bomb.
MAX_XML_PART = 64 * 1024 * 1024
MAX_MEMBER = 512 * 1024 * 1024
MAX_TOTAL = 1024 * 1024 * 1024

EXTERNAL = "external references"
FIELDS = "field codes"


class Unsafe(Exception):  # noqa: N818 - an outcome for the uploader, not a programming error
    """The package cannot be made safe; the message says why, for the secretary."""


class TooLarge(Unsafe):
    """A member of the package decompresses to more than the limits allow."""


DOCTYPE = (
    "This document contains XML declarations (a DOCTYPE) that Office never writes: "
    "save it again from Word, Excel, PowerPoint or LibreOffice, or as a PDF, and upload that."
)
DAMAGED = "This document is damaged (one of its parts is not well-formed): save it as a PDF and upload that instead."

_SCHEME = re.compile(r"^\s*[a-zA-Z][a-zA-Z0-9+.\-]*:")
_SAFE_LINK = re.compile(r"^\s*(https?://|mailto:)", re.IGNORECASE)
_REL_TYPES_DROPPED = {
    "attachedtemplate",
    "subdocument",
    "afchunk",
    "connections",
    "querytable",
    "externallink",
    "externallinkpath",
    "frame",
    "mailmergesource",
    "mailmergeheadersource",
    "recipientdata",
}
# Word fields that compute text from the document itself. Anything else (INCLUDETEXT,
# INCLUDEPICTURE, INCLUDE, IMPORT, LINK, DDE, DDEAUTO, DATABASE, RD, AUTOTEXT, MACROBUTTON,
# PRIVATE, fields Word may add later) is removed, keeping the result Word last showed.
_SAFE_FIELDS = {
    "=",
    "ADDRESSBLOCK",
    "ADVANCE",
    "ASK",
    "AUTHOR",
    "AUTONUM",
    "AUTONUMLGL",
    "AUTONUMOUT",
    "BARCODE",
    "BIBLIOGRAPHY",
    "BIDIOUTLINE",
    "CITATION",
    "COMMENTS",
    "COMPARE",
    "CREATEDATE",
    "DATE",
    "DISPLAYBARCODE",
    "DOCPROPERTY",
    "DOCVARIABLE",
    "EDITTIME",
    "EMBED",
    "EQ",
    "FILENAME",
    "FILESIZE",
    "FILLIN",
    "FORMCHECKBOX",
    "FORMDROPDOWN",
    "FORMTEXT",
    "GOTOBUTTON",
    "GREETINGLINE",
    "HYPERLINK",
    "IF",
    "INDEX",
    "INFO",
    "KEYWORDS",
    "LASTSAVEDBY",
    "LISTNUM",
    "MERGEFIELD",
    "MERGEREC",
    "MERGESEQ",
    "NEXT",
    "NEXTIF",
    "NOTEREF",
    "NUMCHARS",
    "NUMPAGES",
    "NUMWORDS",
    "PAGE",
    "PAGEREF",
    "PRINTDATE",
    "QUOTE",
    "REF",
    "REVNUM",
    "SAVEDATE",
    "SECTION",
    "SECTIONPAGES",
    "SEQ",
    "SET",
    "SHAPE",
    "SKIPIF",
    "STYLEREF",
    "SUBJECT",
    "SYMBOL",
    "TA",
    "TC",
    "TEMPLATE",
    "TIME",
    "TITLE",
    "TOA",
    "TOC",
    "USERADDRESS",
    "USERINITIALS",
    "USERNAME",
    "XE",
}
_FIELD_NAME = re.compile(r"\s*(=|[A-Za-z]+)")
# Word elements removed wherever they appear (local names), and PowerPoint's link of a linked
# OLE object (``p:link``; Word's ``w:link`` ties two styles together and stays).
_OOXML_DROPPED = {"attachedTemplate", "mailMerge", "altChunk", "subDoc", "objectLink"}
_PRESENTATION_LINK = "{http://schemas.openxmlformats.org/presentationml/2006/main}link"
# Spreadsheet formulas that fetch, call out over DDE ("app|topic!item") or name another file.
_RISKY_FORMULA = re.compile(r"WEBSERVICE|FILTERXML|\bDDE\b|\||'\s*(file|https?|ftp|smb):|\[\s*\d+\s*\]", re.IGNORECASE)
_ODF_DROPPED = {
    "section-source",
    "table-source",
    "cell-range-source",
    "dde-source",
    "dde-link",
    "dde-links",
    "dde-connection-decls",
    "dde-connection-decl",
    "dde-connection",
    "applet",
    "plugin",
    "floating-frame",
}
_ODF_LINK_ELEMENTS = {"a"}  # text:a and draw:a: hyperlinks a reader follows


def _parser(recover: bool = False) -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=recover)


def _local(node: Any) -> str:
    tag = node.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _remove(node: Any) -> None:
    """Remove ``node`` from its parent, keeping any text that follows it."""
    parent = node.getparent()
    if parent is None:
        return
    if node.tail:
        previous = node.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)


def _unwrap(node: Any) -> None:
    """Replace ``node`` by its children."""
    parent = node.getparent()
    if parent is None:
        return
    index = parent.index(node)
    for offset, child in enumerate(list(node)):
        parent.insert(index + offset, child)
    _remove(node)


def _inside_package(target: str) -> bool:
    """A reference to a part of the same package: a relative or package-absolute path."""
    value = target.strip()
    for _ in range(3):  # "%2e%2e/" is ".." to a reader that decodes addresses
        value = unquote(value)
    if not value or _SCHEME.match(value) or value.startswith(("//", "\\")) or "\\" in value:
        return False
    return ".." not in value.replace("\\", "/").split("/")


# --- OOXML ------------------------------------------------------------------------------------


def _ooxml_rels(root: Any, found: set[str]) -> bool:
    changed = False
    for rel in list(root):
        if _local(rel) != "Relationship":
            continue
        target = rel.get("Target", "")
        kind = rel.get("Type", "").rsplit("/", 1)[-1].lower()
        if rel.get("TargetMode", "").lower() == "external":
            keep = kind == "hyperlink" and bool(_SAFE_LINK.match(target))
        else:
            keep = kind not in _REL_TYPES_DROPPED and _inside_package(target)
        if not keep:
            found.add(EXTERNAL)
            _remove(rel)
            changed = True
    return changed


def _field_allowed(instruction: str) -> bool:
    match = _FIELD_NAME.match(instruction)
    return match is not None and match.group(1).upper() in _SAFE_FIELDS


class _Field:
    __slots__ = ("chars", "code", "in_code", "instructions")

    def __init__(self, begin: Any) -> None:
        self.chars = [begin]  # begin, separate and end markers
        self.instructions: list[Any] = []  # this field's own instrText elements
        self.code: list[Any] = []  # everything before "separate", nested fields included
        self.in_code = True


def _word_fields(root: Any, found: set[str]) -> bool:
    """Remove complex and simple fields that are not on the harmless list, keeping their results."""
    changed = False
    for simple in list(root.iter("{*}fldSimple")):
        if not _field_allowed(_attr(simple, "instr")):
            found.add(FIELDS)
            _unwrap(simple)
            changed = True
    open_fields: list[_Field] = []
    doomed: list[Any] = []
    for node in root.iter("{*}fldChar", "{*}instrText", "{*}delInstrText", "{*}t"):
        name = _local(node)
        for field in open_fields:
            if field.in_code:
                field.code.append(node)
        if name == "fldChar":
            kind = _attr(node, "fldCharType")
            if kind == "begin":
                open_fields.append(_Field(node))
            elif kind == "separate" and open_fields:
                open_fields[-1].chars.append(node)
                open_fields[-1].in_code = False
            elif kind == "end" and open_fields:
                field = open_fields.pop()
                field.chars.append(node)
                instruction = "".join(el.text or "" for el in field.instructions)
                if not _field_allowed(instruction):
                    doomed += field.chars + field.code
        elif name in ("instrText", "delInstrText") and open_fields and open_fields[-1].in_code:
            open_fields[-1].instructions.append(node)
    # A field left open at the end of a part has no result to keep; its code goes too.
    for field in open_fields:
        if not _field_allowed("".join(el.text or "" for el in field.instructions)):
            doomed += field.chars + field.code
    for node in {id(n): n for n in doomed}.values():
        found.add(FIELDS)
        _remove(node)
        changed = True
    return changed


def _attr(node: Any, local: str) -> str:
    for key, value in node.attrib.items():
        if etree.QName(key).localname == local:
            return str(value)
    return ""


def _ooxml_part(root: Any, found: set[str]) -> bool:
    changed = _word_fields(root, found)
    for node in list(root.iter()):
        name = _local(node)
        if not name:
            continue
        if name == "updateFields":  # "update fields on opening": nothing is updated here
            _remove(node)
            changed = True
            continue
        if (
            name in _OOXML_DROPPED
            or node.tag == _PRESENTATION_LINK
            or (name == "OLEObject" and _attr(node, "Type").lower() == "link")
        ):
            found.add(EXTERNAL)
            _remove(node)
            changed = True
            continue
        vml = node.tag.startswith("{urn:schemas-microsoft-com")
        for key in list(node.attrib):
            local = etree.QName(key).localname
            # VML image sources and "original location" hints; a sheet's oleObject link.
            if (vml and local in ("href", "src")) or (name == "oleObject" and local in ("link", "oleUpdate")):
                found.add(EXTERNAL)
                del node.attrib[key]
                changed = True
        if name == "f" and node.text and _RISKY_FORMULA.search(node.text):
            found.add(EXTERNAL)
            _remove(node)  # the cell keeps the value the spreadsheet last calculated
            changed = True
    return changed


# --- OpenDocument -----------------------------------------------------------------------------


def _odf_part(root: Any, found: set[str]) -> bool:
    changed = False
    for node in list(root.iter()):
        name = _local(node)
        if not name:
            continue
        if name in _ODF_DROPPED:
            found.add(EXTERNAL)
            _remove(node)
            changed = True
            continue
        for key in list(node.attrib):
            local = etree.QName(key).localname
            value = str(node.attrib[key])
            if local == "href":
                if name in _ODF_LINK_ELEMENTS and _SAFE_LINK.match(value):
                    continue
                if value.strip().startswith("#") or _inside_package(value):
                    continue
                found.add(EXTERNAL)
                del node.attrib[key]
                changed = True
            elif local == "formula" and _RISKY_FORMULA.search(value):
                found.add(EXTERNAL)
                del node.attrib[key]
                changed = True
    return changed


# --- the package ------------------------------------------------------------------------------


def _read_limited(src: IO[bytes], limit: int) -> bytes:
    data = src.read(limit + 1)
    if len(data) > limit:
        raise TooLarge("part too large")
    return data


def _rewrite_xml(data: bytes, clean: Callable[[Any, set[str]], bool], found: set[str], recover: bool) -> bytes:
    try:
        tree = etree.fromstring(data, _parser(recover)).getroottree()
    except etree.XMLSyntaxError:
        raise Unsafe(DAMAGED) from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise Unsafe(DOCTYPE)
    root = tree.getroot()
    if root is None or not clean(root, found):
        return data
    out: bytes = etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=tree.docinfo.standalone)
    return out


def neutralise(src: Path, dest: Path, *, odf: bool) -> list[str]:
    """Copy the Office package ``src`` to ``dest`` without references outside it.

    Returns what kinds of thing were removed (empty when the document had none). Raises
    :class:`Unsafe` for a package that cannot be read safely and :class:`TooLarge` for one that
    decompresses to more than the limits allow.
    """
    found: set[str] = set()
    total = 0
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout:
        for info in zin.infolist():
            if info.is_dir():
                continue
            out_info = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            out_info.compress_type = (
                zipfile.ZIP_STORED if info.compress_type == zipfile.ZIP_STORED else zipfile.ZIP_DEFLATED
            )
            out_info.external_attr = 0o644 << 16
            lower = info.filename.lower()
            if lower.endswith((".xml", ".rels", ".vml")):
                with zin.open(info) as member:
                    data = _read_limited(member, MAX_XML_PART)
                total += len(data)
                if total > MAX_TOTAL:
                    raise TooLarge("package too large")
                if odf:
                    clean: Callable[[Any, set[str]], bool] = _odf_part
                elif lower.endswith(".rels"):
                    clean = _ooxml_rels
                else:
                    clean = _ooxml_part
                # Legacy VML drawings are often HTML-like rather than well-formed XML.
                zout.writestr(out_info, _rewrite_xml(data, clean, found, recover=lower.endswith(".vml")))
                continue
            with zin.open(info) as member, zout.open(out_info, "w", force_zip64=True) as out:
                copied = _copy_limited(member, out, min(MAX_MEMBER, MAX_TOTAL - total))
            total += copied
    return sorted(found)


def _copy_limited(src: IO[bytes], dst: IO[bytes], limit: int) -> int:
    copied = 0
    while chunk := src.read(1024 * 1024):
        copied += len(chunk)
        if copied > limit:
            raise TooLarge("member too large")
        dst.write(chunk)
    return copied
