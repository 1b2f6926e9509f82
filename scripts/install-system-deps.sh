#!/bin/sh
# Install the real programs the tests use: LibreOffice (opens and renders our files, and runs the
# coordinator workbook's buttons, driven over UNO by the system python3 with python3-uno) and
# poppler's pdftoppm (PDF -> PNG).  Uses apt-get when they are missing.
set -e
if command -v soffice >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 \
        && /usr/bin/python3 -c "import uno" >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "install-system-deps: need root or sudo to apt-get install LibreOffice, python3-uno and poppler-utils" >&2
        exit 1
    fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-system-deps: no apt-get; install LibreOffice, its Python UNO bridge (python3-uno) and poppler-utils (pdftoppm) yourself" >&2
    exit 1
fi
echo "Installing LibreOffice, its Python UNO bridge and poppler-utils (a few minutes, once)..." >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    libreoffice-calc libreoffice-writer python3-uno poppler-utils fonts-dejavu-core >/dev/null
