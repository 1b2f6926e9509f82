#!/bin/sh
# Install the real programs the tests use: LibreOffice (opens and renders our files),
# poppler's pdftoppm (PDF -> PNG), Gnumeric's ssconvert and Node.js with npm (independent
# readers of our workbooks; `make setup` installs SheetJS with npm), dovecot (a real IMAP
# server the collect tests start on 127.0.0.1) and openssl (its test certificate).  Uses apt-get for the
# ones missing, and only those (a Node.js from elsewhere is kept).
set -e
MISSING=""
command -v soffice >/dev/null 2>&1 || MISSING="$MISSING libreoffice-calc libreoffice-writer fonts-dejavu-core"
command -v pdftoppm >/dev/null 2>&1 || MISSING="$MISSING poppler-utils"
command -v ssconvert >/dev/null 2>&1 || MISSING="$MISSING gnumeric"
command -v node >/dev/null 2>&1 || MISSING="$MISSING nodejs"
command -v npm >/dev/null 2>&1 || MISSING="$MISSING npm"
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || MISSING="$MISSING dovecot-imapd"
command -v openssl >/dev/null 2>&1 || MISSING="$MISSING openssl"
/usr/bin/python3 -c "import uno" >/dev/null 2>&1 || MISSING="$MISSING python3-uno"
if [ -z "$MISSING" ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "install-system-deps: need root or sudo to apt-get install:$MISSING" >&2
        exit 1
    fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-system-deps: no apt-get; install these (or their equivalents) yourself:$MISSING" >&2
    exit 1
fi
echo "Installing$MISSING (a few minutes, once)..." >&2
$SUDO apt-get update -qq
# shellcheck disable=SC2086 - the list is meant to split into words
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $MISSING >/dev/null
case "$MISSING" in
    *dovecot-imapd*)  # the tests run their own instance: the system-wide server need not listen
        if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl disable --now dovecot >/dev/null 2>&1 || true; fi ;;
esac
