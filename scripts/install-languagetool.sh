#!/usr/bin/env bash
# Copies LanguageTool (server + English) from Maven Central into vendor/languagetool/lib,
# as described by languagetool/pom.xml. Idempotent: a stamp holding the pom's hash marks
# a complete install, so a re-run is a quick no-op; a missing or partial folder (or a
# changed pom) is fetched again into a temporary folder and swapped in whole.
# Override the folder with TRAINER_LANGUAGETOOL_DIR (the same setting trainer uses).
set -euo pipefail
cd "$(dirname "$0")/.."

POM=languagetool/pom.xml
LIB=${TRAINER_LANGUAGETOOL_DIR:-vendor/languagetool/lib}
STAMP="$LIB/.installed"
want=$(sha256sum "$POM" | cut -c1-16)

log() { printf '\033[1m[languagetool]\033[0m %s\n' "$*" >&2; }

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] \
   && ls "$LIB"/languagetool-server-*.jar "$LIB"/language-en-*.jar >/dev/null 2>&1; then
  exit 0
fi

command -v mvn >/dev/null || { log "Maven (mvn) is not installed: cannot fetch LanguageTool"; exit 1; }
command -v java >/dev/null || log "warning: Java is not installed; LanguageTool needs Java 17+ to run"

log "fetching LanguageTool jars into $LIB (Maven Central)"
parent=$(dirname "$LIB")
mkdir -p "$parent"
tmp=$(mktemp -d "$parent/.lib-tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies -Dlib.dir="$(cd "$tmp" && pwd)"
ls "$tmp"/languagetool-server-*.jar "$tmp"/language-en-*.jar >/dev/null
echo "$want" > "$tmp/.installed"
rm -rf "$LIB"
mv "$tmp" "$LIB"
trap - EXIT
log "installed $(ls "$LIB"/*.jar | wc -l) jars ($(du -sh "$LIB" | cut -f1))"
