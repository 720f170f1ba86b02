#!/bin/sh
# Times folder sync of one year of one device's data (the default aw-bench dataset,
# 545 000 events): load it into server A, `aw-sync sync --mode push` from A into an
# empty folder, then `aw-sync sync --mode pull` into an empty server B, each under
# /usr/bin/time -v (wall time and peak RSS of the aw-sync process).
#
# Usage: benches/sync-year.sh [WORKDIR]   (after cargo build --release -p aw-server -p aw-benches)
set -eu
BIN=${BIN:-target/release}
WORK=${1:-/tmp/aw-sync-year}
PORT_A=${PORT_A:-5681}
PORT_B=${PORT_B:-5682}
rm -rf "$WORK" && mkdir -p "$WORK/sync"
export XDG_CONFIG_HOME="$WORK/config" XDG_CACHE_HOME="$WORK/cache" XDG_DATA_HOME="$WORK/data"

[ -f "$WORK/../aw-year.json" ] || "$BIN/aw-bench" gen --out "$WORK/../aw-year.json"
"$BIN/aw-server" --testing --port "$PORT_A" --dbpath "$WORK/a.db" --device-id bench-a >"$WORK/a.log" 2>&1 &
A=$!
"$BIN/aw-server" --testing --port "$PORT_B" --dbpath "$WORK/b.db" --device-id bench-b >"$WORK/b.log" 2>&1 &
B=$!
trap 'kill $A $B 2>/dev/null' EXIT
sleep 2
"$BIN/aw-bench" load --url "http://127.0.0.1:$PORT_A" "$WORK/../aw-year.json"

measure() {
    /usr/bin/time -v "$BIN/aw-sync" --port "$1" --sync-dir "$WORK/sync" sync --mode "$2" \
        2>"$WORK/$2.time" >/dev/null
    printf '%s: %s s, peak RSS %s kB\n' "$2" \
        "$(grep 'Elapsed (wall' "$WORK/$2.time" | awk '{print $NF}')" \
        "$(grep 'Maximum resident' "$WORK/$2.time" | awk '{print $NF}')"
}
measure "$PORT_A" push
ls -l "$WORK"/sync/*/*/test.db
measure "$PORT_B" pull
measure "$PORT_B" pull   # a second pass: nothing to do
for port in "$PORT_A" "$PORT_B"; do
    curl -s "http://127.0.0.1:$port/api/0/buckets/" | python3 -c \
        'import json,sys; print(sorted(json.load(sys.stdin)))'
done
