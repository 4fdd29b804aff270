"""Turn an untrusted upload into a clean PDF rendition, page texts and thumbnails.

Everything here that reads the uploaded bytes runs in a child process (``python -m
documents.ingest WORKDIR ...``) that first caps its own address space and CPU time; the parent
(``documents.tasks``) adds a wall-clock timeout and kills the child's whole process group
(LibreOffice, OCRmyPDF) when it runs over. LibreOffice and OCRmyPDF run further inside a
sandbox without network or other files (:mod:`documents.sandbox`), on Office packages first
rewritten without references outside themselves (:mod:`documents.officesafe`); see README.md,
"Agendas and papers". The child gets no database or storage credentials:
it reads ``WORKDIR/original`` and writes ``WORKDIR/rendition.pdf``, ``WORKDIR/thumbs-N.webp``
and ``WORKDIR/result.json``. This module imports nothing from Django.

The web process only calls :func:`sniff` on the first bytes of an upload (magic numbers, no
parsing) and :func:`clean_name` on the name it arrived with.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import mmap
import os
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
import time
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from documents import sandbox

# --- messages the secretary sees -------------------------------------------------------------

# A message, not a password (bandit B105).
PASSWORD = "This PDF is password-protected: remove the password and upload again."  # nosec B105
# A message, not a password (bandit B105).
OFFICE_PASSWORD = "This document is password-protected: remove the password and upload again."  # nosec B105
NEEDS_LIBREOFFICE = "Word/PowerPoint/Excel files need LibreOffice on the server; upload a PDF instead."
MACROS = (
    "This document contains macros, which are not accepted: save it without macros "
    "(as .docx, .xlsx or .pptx) or as a PDF and upload again."
)
TRUNCATED = (
    "This PDF is incomplete (it ends before its last part, as when a download or copy is cut off): "
    "upload the complete file again."
)
DAMAGED = "This PDF is damaged and could not be repaired: save or export it again and upload the new file."
NO_PAGES = "This PDF has no pages."
NOT_A_DOCUMENT = (
    "This file is not a PDF or an Office document (Word, PowerPoint, Excel or OpenDocument), "
    "whatever its name says: upload a PDF."
)
ZIP_NOT_DOCUMENT = "This file is a ZIP archive, not a document: upload a PDF or an Office document."
OLE_UNKNOWN = "This is an old-style Office file of a kind that cannot be read: save it as a PDF and upload again."
CONVERT_FAILED = (
    "LibreOffice could not convert this document to PDF (it may be damaged or password-protected): "
    "save it as a PDF and upload that instead."
)
TOO_SLOW = "This file took too long to process: split it into smaller files or save it as a simpler PDF."
TOO_BIG_IN_MEMORY = (
    "This file is too large when decompressed: processing it needs more memory than the server allows. "
    "Save it again as an ordinary PDF (or split it into smaller papers) and upload the new file."
)
FAILED = "This file could not be processed: save it as a PDF again and upload the new file."


def too_many_pages(pages: int, limit: int) -> str:
    return f"This document has {pages} pages; the limit is {limit}. Split it into smaller papers."


def too_large(size: int, limit: int) -> str:
    return f"This file is {_mb(size)}; the limit is {_mb(limit)}. Compress it or split it into smaller papers."


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{max(1, math.ceil(n / 1024))} KB"


# --- kinds -----------------------------------------------------------------------------------

# Sniffed in the web process from the first bytes: "pdf", "zip" (OOXML or ODF, decided in the
# child) or "ole" (legacy Word/Excel/PowerPoint, decided in the child).
PDF, ZIP, OLE = "pdf", "zip", "ole"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OFFICE_EXTENSIONS = {"docx", "pptx", "xlsx", "odt", "ods", "odp", "doc", "xls", "ppt"}

_OTHER_MAGIC: list[tuple[bytes, str]] = [
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"RIFF", "a media file"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf'\x1c", "a 7-Zip archive"),
    (b"MZ", "a program"),
    (b"\x7fELF", "a program"),
    (b"{\\rtf", "an RTF document"),
]


class Refusal(Exception):  # noqa: N818 - a refusal is an outcome, not an error
    """The upload is not accepted; the message says why, for the secretary."""


def sniff(head: bytes) -> str:
    """The kind of upload, from its first bytes. Raises :class:`Refusal` for anything else."""
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n\x00")
    if stripped.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return ZIP
    if head.startswith(OLE_MAGIC):
        return OLE
    for magic, label in _OTHER_MAGIC:
        if head.startswith(magic):
            raise Refusal(f"This file is {label}, not a PDF or an Office document: upload a PDF.")
    raise Refusal(NOT_A_DOCUMENT)


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f]")


def clean_name(name: str | None) -> str:
    """The uploaded file's name as metadata: no folders, control or bidi-override characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    # Cc: control characters; Cf: format characters (bidi overrides that make "fdp.exe" look
    # like "exe.pdf", zero-width joiners).
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf"})
    name = _UNSAFE_NAME.sub("", unicodedata.normalize("NFC", name)).strip(" .")
    return name[:255] or "upload"


# --- resource limits and child processes ------------------------------------------------------


def limit_self(memory_mb: int, cpu_seconds: int) -> None:
    """Cap this process (and what it starts) before it touches untrusted bytes."""
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if cpu_seconds > 0:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run_with_timeout(
    cmd: Sequence[str], *, timeout: float, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run ``cmd`` in its own process group; on timeout kill the whole group and raise."""
    # Fixed argument lists, never a shell (bandit B603).
    with subprocess.Popen(  # noqa: S603  # nosec B603
        list(cmd),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    ) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            proc.communicate()
            raise
        except BaseException:
            _kill_group(proc)
            raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def child_env(workdir: Path) -> dict[str, str]:
    """A bare environment: no database, storage or mail credentials reach the parsers."""
    return {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "OMP_THREAD_LIMIT": "1",
    }


def tool(name: str) -> str | None:
    return shutil.which(name)


def soffice() -> str | None:
    return tool("soffice") or tool("libreoffice")


def ocr_available() -> bool:
    return tool("ocrmypdf") is not None and tool("tesseract") is not None


# --- Office documents -------------------------------------------------------------------------

_ODF_TYPES = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
    b"application/vnd.oasis.opendocument.presentation": "odp",
}
_OOXML_PARTS = {"word/document.xml": "docx", "xl/workbook.xml": "xlsx", "ppt/presentation.xml": "pptx"}
_MAX_SMALL_PART = 1024 * 1024


def classify_zip(path: Path) -> str:
    """The Office format of a ZIP upload ("docx", "odt", ...), refusing macros and plain archives."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise Refusal(ZIP_NOT_DOCUMENT) from None
    with archive:
        names = archive.namelist()
        lower = {n.lower() for n in names}
        if "mimetype" in names:
            mimetype = _read_small(archive, "mimetype").strip()
            kind = _ODF_TYPES.get(mimetype)
            if kind is None:
                raise Refusal(ZIP_NOT_DOCUMENT)
            if any(n.startswith(("basic/", "scripts/")) for n in lower):
                raise Refusal(MACROS)
            return kind
        if "[content_types].xml" in lower:
            real = next(n for n in names if n.lower() == "[content_types].xml")
            types = _read_small(archive, real).lower()
            if b"macroenabled" in types or any(n.endswith("vbaproject.bin") for n in lower):
                raise Refusal(MACROS)
            for part, kind in _OOXML_PARTS.items():
                if part in lower:
                    return kind
    raise Refusal(ZIP_NOT_DOCUMENT)


def _read_small(archive: zipfile.ZipFile, name: str) -> bytes:
    with archive.open(name) as member:
        data = member.read(_MAX_SMALL_PART + 1)
    if len(data) > _MAX_SMALL_PART:
        raise Refusal(ZIP_NOT_DOCUMENT)
    return data


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def classify_ole(path: Path) -> str:
    """The legacy Office format of an OLE2 upload, from its stream names."""
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:

        def has(name: str) -> bool:
            return data.find(_utf16(name)) != -1

        if has("EncryptedPackage") or has("EncryptionInfo"):
            raise Refusal(OFFICE_PASSWORD)
        if has("_VBA_PROJECT"):
            raise Refusal(MACROS)
        if has("WordDocument"):
            return "doc"
        if has("PowerPoint Document"):
            return "ppt"
        if has("Workbook") or has("Book"):
            return "xls"
    raise Refusal(OLE_UNKNOWN)


def _own_folder(workdir: Path, name: str) -> Path:
    """A fresh folder for one sandboxed program: the only place it may read and write."""
    folder = workdir / name
    folder.mkdir(mode=0o700)
    return folder


def _regular_file(path: Path) -> bool:
    """A plain file the sandboxed program made: not a link (to a file outside) or a pipe."""
    try:
        return stat.S_ISREG(path.lstat().st_mode) and path.lstat().st_size > 0
    except OSError:
        return False


def _sandboxed(cmd: list[str], folder: Path, use_sandbox: bool) -> list[str]:
    return sandbox.wrap(cmd, folder) if use_sandbox else cmd


def convert_office(
    src: Path, kind: str, workdir: Path, timeout: float, *, use_sandbox: bool = True
) -> tuple[Path, list[str]]:
    """LibreOffice headless, in the sandbox, with a private profile, to PDF: (the PDF, what was removed).

    An OOXML or ODF package is first rewritten without references outside itself
    (:mod:`documents.officesafe`); LibreOffice then sees only its own folder and no network
    (:mod:`documents.sandbox`). Refuses when LibreOffice is not installed, or when the sandbox
    cannot start and the administrator has not switched it off.
    """
    from documents import officesafe

    binary = soffice()
    if binary is None:
        raise Refusal(NEEDS_LIBREOFFICE)
    if use_sandbox and not sandbox.available():
        raise Refusal(sandbox.UNAVAILABLE)
    folder = _own_folder(workdir, "office")
    document = folder / f"document.{kind}"
    removed: list[str] = []
    if kind in ("doc", "xls", "ppt"):
        shutil.copyfile(src, document)  # legacy binary formats: the sandbox is the guard
    else:
        try:
            removed = officesafe.neutralise(src, document, odf=kind in ("odt", "ods", "odp"))
        except officesafe.TooLarge:
            raise Refusal(TOO_BIG_IN_MEMORY) from None
        except officesafe.Unsafe as unsafe:
            raise Refusal(str(unsafe)) from None
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError):
            raise Refusal(CONVERT_FAILED) from None
    outdir = folder / "out"
    profile = folder / "profile"
    cmd = [
        binary,
        "--headless",
        "--norestore",
        "--nologo",
        "--nodefault",
        "--nolockcheck",
        "--nofirststartwizard",
        f"-env:UserInstallation={profile.as_uri()}",
        "--convert-to",
        "pdf",
        "--outdir",
        str(outdir),
        str(document),
    ]
    try:
        run_with_timeout(_sandboxed(cmd, folder, use_sandbox), timeout=timeout, cwd=folder, env=child_env(folder))
    except subprocess.TimeoutExpired:
        raise Refusal(TOO_SLOW) from None
    out = outdir / "document.pdf"
    if not _regular_file(out):
        raise Refusal(CONVERT_FAILED)
    return out, removed


# --- sanitising -------------------------------------------------------------------------------

SAFE_ACTIONS = {"/GoTo", "/URI", "/Named"}
ACTION_TYPES = SAFE_ACTIONS | {
    "/GoToR",
    "/GoToE",
    "/GoTo3DView",
    "/Launch",
    "/Thread",
    "/Sound",
    "/Movie",
    "/Hide",
    "/SubmitForm",
    "/ResetForm",
    "/ImportData",
    "/JavaScript",
    "/SetOCGState",
    "/Rendition",
    "/Trans",
    "/RichMediaExecute",
}
SAFE_NAMED = {"/NextPage", "/PrevPage", "/FirstPage", "/LastPage"}
SAFE_URI_SCHEMES = ("http://", "https://", "mailto:", "tel:", "#")
DROPPED_ANNOTATIONS = {"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"}
_ACTION_LABELS = {"/JavaScript": "JavaScript", "/Launch": "launch actions", "/SubmitForm": "form submission"}


def _label(action: Any) -> str:
    import pikepdf

    if isinstance(action, pikepdf.Dictionary) and "/JS" in action:
        return "JavaScript"
    kind = str(action.get("/S", "")) if isinstance(action, pikepdf.Dictionary) else ""
    return _ACTION_LABELS.get(kind, "unsafe actions")


def _action_ok(action: Any) -> bool:
    """Plain links and page moves stay; anything that runs, opens, sends or fetches goes.

    A value that is not an action dictionary (a destination array, a structure element's
    attributes under the same ``/A`` key) is inert and left alone.
    """
    import pikepdf

    if not isinstance(action, pikepdf.Dictionary):
        return True
    if "/JS" in action:
        return False
    kind = str(action.get("/S", ""))
    if kind not in ACTION_TYPES:
        return True
    if kind == "/URI":
        uri = action.get("/URI")
        return uri is not None and str(uri).strip().lower().startswith(SAFE_URI_SCHEMES)
    if kind == "/Named":
        return str(action.get("/N", "")) in SAFE_NAMED
    return kind in SAFE_ACTIONS


def _clean_action(holder: Any, key: str, stripped: set[str]) -> None:
    action = holder.get(key)
    if action is None:
        return
    if not _action_ok(action):
        stripped.add(_label(action))
        del holder[key]
    elif hasattr(action, "keys") and "/Next" in action and str(action.get("/S", "")) in ACTION_TYPES:
        # A chain of further actions: a safe link needs none of it.
        stripped.add("unsafe actions")
        del action["/Next"]


def _clean_dict(obj: Any, stripped: set[str]) -> None:
    """Remove active content held by one dictionary (an annotation, a field, a page, ...)."""
    if "/AA" in obj:
        stripped.add("automatic actions")
        del obj["/AA"]
    if "/A" in obj:
        _clean_action(obj, "/A", stripped)
    if "/EF" in obj:  # a file specification carrying an embedded file
        stripped.add("embedded files")
        del obj["/EF"]
    if "/RichMediaContent" in obj:
        stripped.add("media")
        del obj["/RichMediaContent"]


def sanitize(pdf: Any) -> list[str]:
    """Strip JavaScript, launch and other unsafe actions, automatic actions, embedded files,
    file attachment and media annotations, XFA and portfolios. Returns what kinds were removed.

    Plain links (``/URI`` with http, https, mailto or tel; ``/GoTo``) and bookmarks stay.
    """
    import pikepdf

    stripped: set[str] = set()
    root = pdf.Root
    if "/OpenAction" in root:
        # Opening at a page is harmless, but nothing needs to happen on opening a board paper.
        if not _action_ok(root["/OpenAction"]):
            stripped.add("open action")
        del root["/OpenAction"]
    for key, label in (("/NeedsRendering", "XFA"), ("/Collection", "portfolio")):
        if key in root:
            stripped.add(label)
            del root[key]
    _clean_dict(root, stripped)
    names = root.get("/Names")
    if names is not None:
        for key, label in (
            ("/JavaScript", "JavaScript"),
            ("/EmbeddedFiles", "embedded files"),
            ("/AlternatePresentations", "media"),
            ("/Renditions", "media"),
        ):
            if key in names:
                stripped.add(label)
                del names[key]
    acroform = root.get("/AcroForm")
    if acroform is not None:
        if "/XFA" in acroform:
            stripped.add("XFA")
            del acroform["/XFA"]
        if "/CO" in acroform:  # calculation order: only meaningful with scripts
            del acroform["/CO"]
    for page in pdf.pages:
        page_obj = page.obj
        _clean_dict(page_obj, stripped)
        annots = page_obj.get("/Annots")
        if not isinstance(annots, pikepdf.Array):
            continue
        kept = []
        for annot in annots:
            if not isinstance(annot, pikepdf.Dictionary):
                continue
            subtype = str(annot.get("/Subtype", ""))
            if subtype in DROPPED_ANNOTATIONS:
                stripped.add("embedded files" if subtype == "/FileAttachment" else "media")
                continue
            _clean_dict(annot, stripped)
            kept.append(annot)
        if len(kept) != len(annots):
            page_obj["/Annots"] = pikepdf.Array(kept)
    # Whatever else holds an action or a file (outline items, form fields, action chains,
    # actions referred to from several places): every indirect object is looked at once.
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            continue
        if "/JS" in obj or (str(obj.get("/S", "")) in ACTION_TYPES and not _action_ok(obj)):
            # An action dictionary on its own: make it inert wherever it is referred to from.
            stripped.add(_label(obj))
            for key in list(obj.keys()):
                del obj[key]
            continue
        _clean_dict(obj, stripped)
        if "/Next" in obj and str(obj.get("/S", "")) in ACTION_TYPES:
            stripped.add("unsafe actions")
            del obj["/Next"]
    return sorted(stripped)


# --- text and thumbnails ----------------------------------------------------------------------

THUMB_WIDTH = 160
THUMB_MAX_HEIGHT = 4 * THUMB_WIDTH
SPRITE_COLUMNS = 10
SPRITE_PAGES = 50  # per sprite: 10 columns x 5 rows, well inside WebP's 16383 px
PARALLEL_FROM_PAGES = 24


@dataclass
class PagesResult:
    texts: list[str] = field(default_factory=list)
    scanned: list[int] = field(default_factory=list)  # 1-based page numbers with images and no text
    cells: list[list[int]] = field(default_factory=list)  # per page: sprite index, x, y, w, h
    sprites: list[str] = field(default_factory=list)  # file names in the work folder


def _clean_text(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").replace("\ufffe", "")


def _pages_chunk(args: tuple[str, int, int, int, bool]) -> tuple[int, list[str], list[int], list[list[int]], str]:
    """Text, scanned flags and one thumbnail sprite for pages [start, stop) (0-based)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c
    from PIL import Image

    path, start, stop, sprite_index, thumbs = args
    doc = pdfium.PdfDocument(path)
    texts: list[str] = []
    scanned: list[int] = []
    tiles: list[Image.Image] = []
    try:
        for index in range(start, stop):
            page = doc[index]
            try:
                textpage = page.get_textpage()
                try:
                    text = _clean_text(textpage.get_text_bounded())
                finally:
                    textpage.close()
                texts.append(text)
                if not text.strip() and any(
                    True for _ in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=3)
                ):
                    scanned.append(index + 1)
                if thumbs:
                    width, height = page.get_size()
                    scale = THUMB_WIDTH / max(width, 1.0)
                    if height * scale > THUMB_MAX_HEIGHT:
                        scale = THUMB_MAX_HEIGHT / max(height, 1.0)
                    bitmap = page.render(scale=scale, may_draw_forms=False, draw_annots=True)
                    tiles.append(bitmap.to_pil().convert("RGB"))
                    bitmap.close()
            finally:
                page.close()
    finally:
        doc.close()
    cells: list[list[int]] = []
    sprite_name = ""
    if thumbs and tiles:
        rows = math.ceil(len(tiles) / SPRITE_COLUMNS)
        row_heights = [max(t.height for t in tiles[r * SPRITE_COLUMNS : (r + 1) * SPRITE_COLUMNS]) for r in range(rows)]
        sprite = Image.new("RGB", (THUMB_WIDTH * min(len(tiles), SPRITE_COLUMNS), sum(row_heights)), "white")
        y = 0
        for r in range(rows):
            for c, tile in enumerate(tiles[r * SPRITE_COLUMNS : (r + 1) * SPRITE_COLUMNS]):
                x = c * THUMB_WIDTH
                sprite.paste(tile, (x, y))
                cells.append([sprite_index, x, y, tile.width, tile.height])
            y += row_heights[r]
        sprite_name = f"thumbs-{sprite_index}.webp"
        sprite.save(Path(path).parent / sprite_name, "WEBP", quality=70, method=0)
    return start, texts, scanned, cells, sprite_name


def extract_pages(rendition: Path, pages: int, *, thumbs: bool = True, jobs: int = 0) -> PagesResult:
    """Per-page text (pypdfium2) and 160 px thumbnails in sprites, on up to ``jobs`` cores."""
    chunks = [
        (str(rendition), start, min(start + SPRITE_PAGES, pages), n, thumbs)
        for n, start in enumerate(range(0, pages, SPRITE_PAGES))
    ]
    jobs = jobs or min(len(chunks), os.cpu_count() or 1)
    if jobs <= 1 or pages < PARALLEL_FROM_PAGES:
        parts = [_pages_chunk(chunk) for chunk in chunks]
    else:
        # Fresh forked workers (nothing of pdfium is open yet); each writes its own sprite.
        with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork")) as pool:
            parts = list(pool.map(_pages_chunk, chunks))
    result = PagesResult()
    for _, texts, scanned, cells, sprite in sorted(parts, key=lambda p: p[0]):
        result.texts.extend(texts)
        result.scanned.extend(scanned)
        result.cells.extend(cells)
        if sprite:
            result.sprites.append(sprite)
    return result


def page_texts(path: Path, numbers: Iterable[int]) -> dict[int, str]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    try:
        out: dict[int, str] = {}
        for number in numbers:
            page = doc[number - 1]
            textpage = page.get_textpage()
            out[number] = _clean_text(textpage.get_text_bounded())
            textpage.close()
            page.close()
        return out
    finally:
        doc.close()


# --- the pipeline -----------------------------------------------------------------------------


@dataclass
class Options:
    kind: str = PDF
    max_pages: int = 2000
    timeout: float = 300.0
    jobs: int = 0
    ocr: bool = True
    thumbs: bool = True
    sandbox: bool = True  # run LibreOffice and OCRmyPDF in documents.sandbox


def open_pdf(path: Path) -> Any:
    """Open with pikepdf (qpdf repairs what it can), refusing encrypted and unreadable files."""
    import pikepdf

    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - 2048))
        if b"%%EOF" not in fh.read():
            raise Refusal(TRUNCATED)
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        raise Refusal(PASSWORD) from None
    except pikepdf.PdfError:
        raise Refusal(DAMAGED) from None
    if pdf.is_encrypted:
        pdf.close()
        raise Refusal(PASSWORD)
    return pdf


def rewrite(src: Path, dest: Path, max_pages: int) -> tuple[int, list[str], bool]:
    """Sanitise ``src`` into a linearized clean rewrite at ``dest``: (pages, stripped, repaired)."""
    import pikepdf

    from documents.pagetree import balance_page_tree

    pdf = open_pdf(src)
    try:
        repaired = bool(pdf.get_warnings())
        try:
            pages = len(pdf.pages)
        except pikepdf.PdfError:
            raise Refusal(DAMAGED) from None
        if pages == 0:
            raise Refusal(NO_PAGES)
        if pages > max_pages:
            raise Refusal(too_many_pages(pages, max_pages))
        stripped = sanitize(pdf)
        try:
            balance_page_tree(pdf)
            pdf.save(dest, linearize=True, encryption=False)
        except pikepdf.PdfError:
            raise Refusal(DAMAGED) from None
    finally:
        pdf.close()
    return pages, stripped, repaired


def document_title(path: Path) -> str:
    """The title the document's metadata gives (what the author named it), or ""."""
    import pikepdf

    try:
        with pikepdf.open(path) as pdf:
            title = pdf.docinfo.get("/Title") if pdf.docinfo is not None else None
            return " ".join(str(title).split())[:300] if title is not None else ""
    except (pikepdf.PdfError, ValueError, TypeError):
        return ""


def run_ocr(
    rendition: Path, workdir: Path, scanned: list[int], timeout: float, *, use_sandbox: bool = True
) -> Path | None:
    """OCRmyPDF (in the sandbox) over the scanned pages only; None when it fails or runs out of time."""
    folder = _own_folder(workdir, "ocr")
    source = folder / "input.pdf"
    shutil.copyfile(rendition, source)
    out = folder / "ocr.pdf"
    cmd = [
        "ocrmypdf",
        "--skip-text",
        "--output-type",
        "pdf",
        "--optimize",
        "0",
        "--jobs",
        str(max(1, os.cpu_count() or 1)),
        "--pages",
        ",".join(str(n) for n in scanned),
        "-l",
        "eng",
        "--quiet",
        str(source),
        str(out),
    ]
    try:
        done = run_with_timeout(
            _sandboxed(cmd, folder, use_sandbox), timeout=timeout, cwd=folder, env=child_env(folder)
        )
    except (subprocess.TimeoutExpired, OSError):
        return None
    return out if done.returncode == 0 and _regular_file(out) else None


def process(workdir: Path, options: Options) -> dict[str, Any]:
    """The whole pipeline on ``workdir/original``; returns what result.json holds."""
    started = time.monotonic()
    original = workdir / "original"
    kind = options.kind
    content_type = "application/pdf"
    source = original
    removed: list[str] = []
    if kind == ZIP:
        kind = classify_zip(original)
    elif kind == OLE:
        kind = classify_ole(original)
    if kind != PDF:
        content_type = f"office/{kind}"
        source, removed = convert_office(
            original, kind, workdir, timeout=max(5.0, options.timeout * 0.6), use_sandbox=options.sandbox
        )
    rendition = workdir / "rendition.pdf"
    pages, stripped, repaired = rewrite(source, rendition, options.max_pages)
    stripped = sorted(set(stripped) | set(removed))
    timings = {"sanitise": time.monotonic() - started}
    mark = time.monotonic()
    result = extract_pages(rendition, pages, thumbs=options.thumbs, jobs=options.jobs)
    timings["pages"] = time.monotonic() - mark
    ocr = ""
    if result.scanned:
        ocr = "unavailable"
        remaining = options.timeout - (time.monotonic() - started)
        # Without its sandbox (and no opt-out) OCR is skipped: the paper stays readable.
        sandbox_ok = not options.sandbox or sandbox.available()
        if options.ocr and ocr_available() and sandbox_ok and remaining > 10:
            mark = time.monotonic()
            ocred = run_ocr(rendition, workdir, result.scanned, timeout=remaining * 0.8, use_sandbox=options.sandbox)
            ocr = "failed"
            if ocred is not None:
                try:
                    rewrite(ocred, rendition, options.max_pages)
                except Refusal:
                    pass
                else:
                    ocr = "done"
                    for number, text in page_texts(rendition, result.scanned).items():
                        result.texts[number - 1] = text
            timings["ocr"] = time.monotonic() - mark
    return {
        "ok": True,
        "title": document_title(rendition),
        "kind": kind,
        "content_type": content_type,
        "pages": pages,
        "texts": result.texts,
        "scanned": result.scanned,
        "ocr": ocr,
        "stripped": stripped,
        "repaired": repaired,
        "thumbnails": {"width": THUMB_WIDTH, "sprites": result.sprites, "cells": result.cells},
        "timings": timings,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Ingest one upload in a work folder (run by documents.tasks).")
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--kind", choices=[PDF, ZIP, OLE], default=PDF)
    parser.add_argument("--max-pages", type=int, default=2000)
    parser.add_argument("--memory-mb", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--jobs", type=int, default=0)
    parser.add_argument("--no-ocr", action="store_true")
    parser.add_argument("--no-thumbs", action="store_true")
    parser.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run LibreOffice and OCRmyPDF without their sandbox (BOARDROOM_CONVERTER_SANDBOX=off)",
    )
    args = parser.parse_args(argv)
    limit_self(args.memory_mb, int(args.timeout) + 5)
    options = Options(
        kind=args.kind,
        max_pages=args.max_pages,
        timeout=args.timeout,
        jobs=args.jobs,
        ocr=not args.no_ocr,
        thumbs=not args.no_thumbs,
        sandbox=not args.no_sandbox,
    )
    try:
        result = process(args.workdir, options)
    except Refusal as refusal:
        result = {"ok": False, "reason": str(refusal)}
    except MemoryError:
        result = {"ok": False, "reason": TOO_BIG_IN_MEMORY}
    tmp = args.workdir / "result.json.tmp"
    tmp.write_text(json.dumps(result))
    tmp.replace(args.workdir / "result.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
