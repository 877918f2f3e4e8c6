#!/usr/bin/env bash
# Installs every Debian 12 package halong needs to build, test and run; idempotent.
# `scripts/deps.sh fuzz` (make fuzz) also installs what the fuzzing build needs.
set -euo pipefail

pkgs=(
  build-essential g++ pkg-config meson ninja-build
  sqlite3 libsqlite3-dev
  libxapian-dev
  libutf8proc-dev libjansson-dev libsodium-dev libcsv-dev
  libcmocka-dev
  libmicrohttpd-dev libcurl4-openssl-dev
  libpq-dev
  libxlsxwriter-dev libzip-dev libexpat1-dev
  libtesseract-dev libleptonica-dev tesseract-ocr tesseract-ocr-vie
  libmupdf-dev libmujs-dev libgumbo-dev libopenjp2-7-dev libjbig2dec0-dev libharfbuzz-dev
  pango1.0-tools fonts-dejavu-core fonts-liberation2 python3-pil qpdf poppler-utils
  python3-bibtexparser python3-openpyxl python3-icalendar python3-aiosmtpd python3-jsonschema
  clang-format python3
  chromium nodejs
  prometheus
  debhelper dpkg-dev systemd
  faketime
  rsync
)

# The fuzzing build (fuzz/README.md): clang with its libFuzzer and sanitizer runtimes (Debian 12's
# clang 14 ships them in libclang-rt-14-dev), llvm-symbolizer (package llvm) for readable stacks,
# and what the library itself builds with.
if [ "${1:-}" = fuzz ]; then
  pkgs+=(clang libclang-rt-14-dev llvm)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

# npm comes with NodeSource's nodejs, and as its own package with Debian's: ask for it only when
# the command is missing (installing Debian's npm beside NodeSource's nodejs conflicts).
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#pkgs[@]} packages present"
  exit 0
fi

echo "deps: installing ${missing[*]}"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# On a fresh machine apt's lists are empty: update before installing.
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
