#!/usr/bin/env bash
# Make sure the Debian packages Boardroom needs outside Python are present:
#   - Chromium (Playwright drives /usr/bin/chromium for the browser tests; `playwright install`
#     cannot download a browser here),
#   - Pango (WeasyPrint renders covers, agendas and minutes through it),
#   - qpdf (checks uploaded PDFs),
#   - poppler-utils (pdftotext/pdftoppm: the ingest bench's baseline),
#   - LibreOffice without its GUI (Word/PowerPoint/Excel/ODF uploads are converted to PDF),
#   - OCRmyPDF with Tesseract's English data (scanned papers get a searchable text layer),
#   - bubblewrap (LibreOffice and OCRmyPDF run in its sandbox: no network, no files but their
#     own; without it Office uploads are refused, see README.md "Agendas and papers").
# The LibreOffice and OCR packages come without their "recommends" (~420 MB, not ~570 MB).
# Each is checked first, so a machine that has everything pays nothing. Missing packages are
# installed with apt-get when we are root; otherwise we say loudly what is missing and why.
set -euo pipefail

missing=()
# Installed with --no-install-recommends: the converters need none of the recommended extras.
lean=()

have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }

[[ -x /usr/bin/chromium ]] || missing+=(chromium chromium-driver)
have_lib 'libpango-1\.0\.so\.0' || missing+=(libpango-1.0-0)
have_lib 'libpangoft2-1\.0\.so\.0' || missing+=(libpangoft2-1.0-0)
command -v qpdf >/dev/null 2>&1 || missing+=(qpdf)
command -v pdftoppm >/dev/null 2>&1 || lean+=(poppler-utils)
command -v soffice >/dev/null 2>&1 || lean+=(libreoffice-writer-nogui libreoffice-impress-nogui libreoffice-calc-nogui)
command -v ocrmypdf >/dev/null 2>&1 || lean+=(ocrmypdf)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
# The Nu HTML checker (tests/test_browser_standards.py), like Chromium, only for the tests.
command -v java >/dev/null 2>&1 || lean+=(default-jre-headless)
[[ -e /usr/share/tesseract-ocr/5/tessdata/eng.traineddata || -e /usr/share/tesseract-ocr/4.00/tessdata/eng.traineddata ]] ||
    lean+=(tesseract-ocr-eng)
# Pack footers and watermarks in Chinese, Japanese and Korean (documents/lettering.py).
[[ -e /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf ]] || lean+=(fonts-droid-fallback)
# WeasyPrint needs at least one font to lay text out.
if ! compgen -G '/usr/share/fonts/truetype/dejavu/*.ttf' >/dev/null; then
    missing+=(fonts-dejavu-core)
fi

if [[ ${#missing[@]} -eq 0 && ${#lean[@]} -eq 0 ]]; then
    exit 0
fi

banner() {
    echo >&2 "########################################################################"
    printf >&2 '# %s\n' "$@"
    echo >&2 "########################################################################"
}

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing system packages: ${missing[*]} ${lean[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if apt-get update -qq </dev/null &&
        { [[ ${#missing[@]} -eq 0 ]] || apt-get install -y -qq "${missing[@]}" </dev/null; } &&
        { [[ ${#lean[@]} -eq 0 ]] || apt-get install -y -qq --no-install-recommends "${lean[@]}" </dev/null; }; then
        # Installed: nothing is missing any more, so no warning banners.
        if command -v bwrap >/dev/null 2>&1 && ! bwrap --unshare-all --ro-bind /usr /usr --symlink usr/lib /lib \
            --symlink usr/lib64 /lib64 --symlink usr/bin /bin -- /usr/bin/true >/dev/null 2>&1; then
            banner "bubblewrap is installed but cannot start a sandbox here (user namespaces off?):" \
                "Office uploads will be refused unless BOARDROOM_CONVERTER_SANDBOX=off."
        fi
        exit 0
    fi
    banner "Boardroom: 'apt-get install ${missing[*]} ${lean[*]}' failed (see above)."
else
    banner "Boardroom: some system packages are missing and cannot be installed" \
        "automatically (installing needs root and apt-get): ${missing[*]} ${lean[*]}" \
        "" \
        "Install them with:  sudo apt-get install --no-install-recommends ${missing[*]} ${lean[*]}"
fi
if [[ " ${missing[*]} " == *" chromium "* ]]; then
    banner "BROWSER TESTS WILL BE SKIPPED: /usr/bin/chromium is missing." \
        "Playwright drives Debian's Chromium; it cannot download its own browser here."
fi
if [[ " ${missing[*]} " == *pango* || " ${missing[*]} " == *fonts-dejavu* ]]; then
    banner "PDF rendering (WeasyPrint) will fail until Pango and a font are installed."
fi
if [[ " ${missing[*]} " == *" bubblewrap "* ]]; then
    banner "bubblewrap is missing: Word/PowerPoint/Excel/ODF uploads will be refused" \
        "(the converter runs only in its sandbox unless BOARDROOM_CONVERTER_SANDBOX=off)."
fi
if [[ " ${missing[*]} " == *" qpdf "* ]]; then
    banner "qpdf is missing: PDF checks that call it will fail or be skipped."
fi
if [[ " ${lean[*]} " == *" libreoffice-writer-nogui "* ]]; then
    banner "LibreOffice is missing: Word/PowerPoint/Excel/ODF uploads will be refused" \
        "(\"upload a PDF instead\") and the Office conversion tests skipped."
fi
if [[ " ${lean[*]} " == *" ocrmypdf "* || " ${lean[*]} " == *" tesseract-ocr-eng "* ]]; then
    banner "OCRmyPDF/Tesseract is missing: scanned papers are accepted without searchable text."
fi
exit 0
