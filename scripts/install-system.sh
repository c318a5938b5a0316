#!/usr/bin/env bash
# Installs the Debian packages Hài Lòng needs: WeasyPrint's Pango, the report fonts,
# Chromium for browser tests and poppler for looking at PDFs. Safe to run again.
set -euo pipefail
PACKAGES=(
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0   # WeasyPrint
  fonts-liberation2 fonts-dejavu-core                      # Times-metric serif with Vietnamese glyphs
  chromium                                                 # browser tests (Playwright drives Debian's Chromium)
  poppler-utils                                            # pdftotext / pdftoppm for report checks
)
# Node.js and npm fetch axe-core for the accessibility checks; keep a Node that the machine already has.
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "Installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
