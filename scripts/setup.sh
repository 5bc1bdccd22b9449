#!/usr/bin/env bash
# Installs what Portal Musyawarah needs on a Debian/Ubuntu machine, idempotently:
#   system packages (WeasyPrint's libraries, Node.js for the front-end files; Chromium and
#   poppler-utils with --test), a virtualenv in .venv with the project and its test tools,
#   the npm packages (from package-lock.json) copied into portal/static/vendor, and the
#   compiled translations. Safe to run again; it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

WITH_TEST=0
[ "${1:-}" = "--test" ] && WITH_TEST=1

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "Need root (or sudo) to run: $*" >&2; exit 1; fi
}

missing_debs() {
  local pkg out=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || out+=("$pkg")
  done
  echo "${out[@]:-}"
}

debs=(libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-liberation)  # Liberation: the berita acara's fonts
command -v node >/dev/null || debs+=(nodejs)
command -v npm >/dev/null || debs+=(npm)
command -v python3 >/dev/null || debs+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || debs+=(python3-venv)
[ "$WITH_TEST" = 1 ] && debs+=(poppler-utils)
[ "$WITH_TEST" = 1 ] && ! command -v chromium >/dev/null && debs+=(chromium)
todo=$(missing_debs "${debs[@]}")
optional=$(missing_debs libharfbuzz-subset0)
if [ -n "$todo" ] || [ -n "$optional" ]; then
  if command -v apt-get >/dev/null; then
    say "Installing system packages: $todo $optional"
    as_root apt-get update -qq
    [ -n "$todo" ] && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $todo
    # Optional: HarfBuzz subsetting roughly halves WeasyPrint's small renders.
    [ -n "$optional" ] && { as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $optional || true; }
  else
    echo "Not a Debian/Ubuntu machine: install yourself: $todo" >&2
  fi
fi

python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "Python 3.11 or newer is needed (found $(python3 --version))." >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  say "Creating virtualenv .venv"
  python3 -m venv .venv
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  say "Installing Python packages"
  .venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -m pip install -q -e '.[dev]' 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -c 'import portal, flask_htmx, weasyprint' # fails loudly if the install failed
  touch "$stamp"
fi

if [ ! -d node_modules/htmx.org ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "Installing front-end packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
mkdir -p portal/static/vendor
cp node_modules/htmx.org/dist/htmx.min.js portal/static/vendor/htmx.min.js
cp node_modules/@picocss/pico/css/pico.min.css portal/static/vendor/pico.min.css

say "Compiling translations"
.venv/bin/pybabel compile -d portal/translations -D messages 2>&1 | sed "s/^/    /"
mkdir -p instance
