#!/usr/bin/env bash
# Install the system tools the local stack and the pipeline need, only those that are missing:
#   java (openjdk-17-jre-headless), mvn (maven), redis-server, PostgreSQL server, kcat, openssl,
#   node and npm (Azurite), tesseract (tesseract-ocr + deu/fra/ita/spa/nld packs), pdftoppm (poppler-utils), chromium (the dashboard's
#   browser test drives it headless through Playwright).
# Idempotent and a fast no-op when everything is present. Installs with apt-get only when running as
# root on Debian; anywhere else it names what is missing and exits 1.
set -euo pipefail

missing=()   # Debian package names to install

have() { command -v "$1" >/dev/null 2>&1; }

have java         || missing+=(openjdk-17-jre-headless)
have mvn          || missing+=(maven)
have redis-server || missing+=(redis-server)
have kcat         || missing+=(kcat)
have openssl      || missing+=(openssl)
have tesseract    || missing+=(tesseract-ocr)
have pdftoppm     || missing+=(poppler-utils)
have chromium     || missing+=(chromium)
# Azurite (the Azure Storage emulator, infra/azurite.sh) is an npm package
have node         || missing+=(nodejs)
have npm          || missing+=(npm)
# the sample generator draws its PDFs and scans with DejaVu (embedded, so the text layer keeps accents)
[[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || missing+=(fonts-dejavu-core)
# OCR language packs for the six invoice languages (English ships with tesseract-ocr)
for lang in deu fra ita spa nld; do
    [[ -n "$(compgen -G "/usr/share/tesseract-ocr/*/tessdata/$lang.traineddata")" ]] || missing+=("tesseract-ocr-$lang")
done
# Debian keeps the PostgreSQL server binaries off PATH (/usr/lib/postgresql/N/bin); other systems put
# pg_ctl on PATH. psql comes with them.
if ! { compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || have pg_ctl; } || ! have psql; then
    missing+=(postgresql)
fi

if ((${#missing[@]} == 0)); then
    exit 0
fi

if [[ $EUID -ne 0 || ! -f /etc/debian_version ]] || ! have apt-get; then
    echo "install-system-deps: missing system packages (Debian names): ${missing[*]}" >&2
    echo "install-system-deps: install them with your package manager (e.g. 'sudo apt-get install ${missing[*]}')" \
         "or run this script as root on Debian" >&2
    exit 1
fi

echo "install-system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
