#!/usr/bin/env bash
# One entry point for a fresh machine:
#   ./run.sh app    install what is missing, then start the Streamlit app
#   ./run.sh test   install what is missing, then lint and run the whole test suite (what CI runs)
#   ./run.sh test --fast   the tests not marked slow (no Whisper, LanguageTool or browser), in parallel
#   ./run.sh lint   ruff, ruff format --check, the layer contracts and mypy against its baseline
# Every step checks first and is skipped when already done, so re-running is cheap.
set -euo pipefail
cd "$(dirname "$0")"

VENV=.venv
PYTHON_BIN=${PYTHON_BIN:-python3}

log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; return 1; fi
}

apt_updated=0
apt_install() {
  # $@: Debian package names; installs the ones that are not installed yet.
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null; then
    log "not a Debian-like system: install ${missing[*]} yourself"; return 1
  fi
  if [ $apt_updated -eq 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  log "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_system_packages() {
  # espeak-ng: caller voices (pyttsx3) and test speech; sox: audio checks in tests;
  # ffmpeg: command-line decoding fallback; libsndfile1: soundfile;
  # fonts-dejavu-core: a Unicode font for the PDF candidate reports (any script in a name);
  # redis-server: the scoring queue's broker (the app starts its own, trainer.jobs).
  apt_install espeak-ng libespeak-ng1 sox libsndfile1 ffmpeg fonts-dejavu-core redis-server
  command -v java >/dev/null || apt_install openjdk-17-jre-headless
  command -v mvn >/dev/null || apt_install maven
}

install_browser_packages() {
  # The end-to-end test drives Debian's Chromium through Playwright (executable_path):
  # Playwright's own browser download needs hosts this project cannot reach.
  # fonts-noto-color-emoji: the page icons, so screenshots show what a user sees.
  # Not fatal: without a browser the test is skipped locally (never on CI, where it fails).
  apt_install chromium fonts-noto-color-emoji || log "no Chromium: the browser test will be skipped"
}

install_python_packages() {
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating virtualenv in $VENV"
    "$PYTHON_BIN" -m venv "$VENV"
  fi
  local stamp="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    log "installing Python packages"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e '.[dev,bench]'
    rm -f "$VENV"/.installed-*
    touch "$stamp"
  fi
}

install_languagetool() {
  if [ -x scripts/install-languagetool.sh ]; then scripts/install-languagetool.sh; fi
}

install_test_packages() {
  # postgresql: the storage tests start a throwaway PostgreSQL server of their own.
  apt_install postgresql
}

lint() {
  # Style, layer contracts and types: the habits every change keeps (CONTRIBUTING.md).
  # --sync: after fixing mypy errors, shrink mypy-baseline.txt to what is left.
  local status=0
  log "lint: ruff check"; "$VENV/bin/ruff" check . || status=1
  log "lint: ruff format --check"; "$VENV/bin/ruff" format --check . || status=1
  log "lint: layer contracts"; "$VENV/bin/lint-imports" --no-cache || status=1
  log "lint: mypy against mypy-baseline.txt"
  if [ "${1:-}" = "--sync" ]; then
    { "$VENV/bin/mypy" || true; } | "$VENV/bin/mypy-baseline" sync --sort-baseline
  else
    { "$VENV/bin/mypy" || true; } | "$VENV/bin/mypy-baseline" filter --sort-baseline --no-colors || status=1
  fi
  return $status
}

setup() {
  install_system_packages
  install_python_packages
  install_languagetool
}

case "${1:-}" in
  app)
    shift; setup
    exec "$VENV/bin/streamlit" run server.py --server.headless true "$@"
    ;;
  test)
    shift; setup; install_test_packages
    if [ "${1:-}" = "--fast" ]; then
      # The contributors' loop: leaves out the tests marked slow (Whisper, LanguageTool,
      # the browser) and spreads the rest over the cores (pytest-xdist).
      shift
      exec "$VENV/bin/python" -m pytest -m "not slow" -n auto "$@"
    fi
    install_browser_packages
    # The whole run (no arguments: what CI runs) lints first; a run of chosen tests does not.
    if [ $# -eq 0 ]; then lint; fi
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  lint)
    shift; install_python_packages; lint "$@"
    ;;
  setup)
    setup; install_browser_packages
    ;;
  *)
    echo "usage: ./run.sh app | test [--fast] [pytest args] | lint [--sync] | setup" >&2; exit 2
    ;;
esac
