#!/usr/bin/env bash
# Crash torture: kill -9 at random moments during ticket import, backup run, db-tune clean-temp
# --apply and a loop of ticket new. After each kill: the store passes integrity_check, the
# import happened whole or not at all, every listed backup verifies, the target database is
# intact, references are unique and the audit chain verifies.
# Usage: tests/torture/crash.sh BIN [rounds]
set -euo pipefail
bin=$1
rounds=${2:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OPSDESK_USER=wang XDG_CONFIG_HOME="$work/config" HOME="$work"
unset OPSDESK_NOW OPSDESK_CONFIG
db="$work/desk.db"
target="$work/shop.db"
cat > "$work/config.toml" <<TOML
[backup]
repository = "$work/repo"
[[backup.targets]]
name = "desk"
kind = "sqlite"
path = "$db"
[[dbtune.targets]]
name = "shop"
path = "$target"
TOML
od() { "$bin" --db "$db" --config "$work/config.toml" "$@"; }
fail() { echo "crash: $*" >&2; exit 1; }
od ticket new "seed" >/dev/null 2>&1
python3 - "$work/import.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(20000):
        f.write(json.dumps({"type": "request", "title": f"imported {i}", "priority": "low", "status": "new",
                            "created_at": "2026-11-20T08:00:00Z"}) + "\n")
PY
check_store() {
  [ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check of the store failed after $1"
  od audit verify >/dev/null || fail "audit verify failed after $1"
  [ "$(sqlite3 "$db" 'SELECT count(*) - count(DISTINCT ref) FROM tickets')" = 0 ] || fail "duplicate references after $1"
}
kill_at() {  # run the command in its own process group, kill -9 the group after 0-$1 ms
  local max=$1; shift
  setsid "$@" >/dev/null 2>&1 &
  local pid=$!
  sleep "$(awk -v m="$max" -v seed="$RANDOM" 'BEGIN { srand(seed); printf "%.3f", rand() * m / 1000 }')"
  kill -9 -- "-$pid" 2>/dev/null || kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  while kill -0 -- "-$pid" 2>/dev/null; do sleep 0.01; done  # every process of the group gone
}
odx=("$bin" --db "$db" --config "$work/config.toml")
imports=0 whole=0 backups=0 drops=0 news=0
for ((r = 1; r <= rounds; r++)); do
  # 1. ticket import: all 20,000 or none.
  before=$(sqlite3 "$db" "SELECT count(*) FROM tickets")
  kill_at 2500 "${odx[@]}" ticket import "$work/import.jsonl"
  after=$(sqlite3 "$db" "SELECT count(*) FROM tickets")
  [ $((after - before)) = 0 ] || [ $((after - before)) = 20000 ] || fail "import half-done: $before → $after tickets"
  imports=$((imports + 1)); [ "$after" != "$before" ] && whole=$((whole + 1))
  check_store "ticket import"
  # 2. backup run: nothing half-written is listed, and what is listed verifies.
  kill_at 300 "${odx[@]}" backup run --quiet
  od backup list --rescan --json > "$work/list.json"
  for id in $(python3 -c 'import json,sys; print(" ".join(b["id"] for b in json.load(open(sys.argv[1]))))' "$work/list.json"); do
    od backup verify "$id" --quiet || fail "listed backup $id does not verify"
    backups=$((backups + 1))
  done
  check_store "backup run"
  # 3. db-tune clean-temp --apply on a target with leftovers: each table there or not, never damaged.
  rm -f "$target"
  sqlite3 "$target" "CREATE TABLE t(x); $(for i in $(seq 1 20); do printf 'CREATE TABLE tmp_%s AS SELECT %s AS v; ' "$i" "$i"; done)"
  kill_at 120 "${odx[@]}" db-tune clean-temp shop --apply
  [ "$(sqlite3 "$target" 'PRAGMA integrity_check')" = ok ] || fail "the target is damaged after clean-temp"
  left=$(sqlite3 "$target" "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'tmp_%'")
  drops=$((drops + 20 - left))
  check_store "db-tune clean-temp"
  # 4. a loop of ticket new, killed mid-way.
  kill_at 300 sh -c "for i in \$(seq 1 200); do '$bin' --db '$db' --config '$work/config.toml' ticket new loop-\$i >/dev/null 2>&1; done"
  news=$((news + 1))
  check_store "ticket new"
done
echo "crash: $rounds rounds: $imports imports killed ($whole had finished whole, the rest left nothing), $backups listed backups verified, $drops leftover tables dropped before the kills, $news ticket-new loops killed; integrity_check, audit chain and references intact every time"
