#!/usr/bin/env bash
# Concurrency torture: P processes x N mixed commands (ticket new, ack, comment, resolve,
# inspect run, backup run) on one store. Every command must succeed, or exit 75 (busy, or the
# cron job already running: counted); references stay unique, the events match the commands
# that succeeded, the audit chain verifies and the store passes integrity_check.
# Usage: tests/torture/concurrency.sh BIN [processes] [commands per process] [store]
# The store is a new SQLite file by default; a postgresql:// URL of an empty database runs the
# same against PostgreSQL (backups then take a SQLite file of the application's).
set -euo pipefail
bin=$1
procs=${2:-8}
per=${3:-200}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OPSDESK_USER=wang XDG_CONFIG_HOME="$work/config" HOME="$work"
unset OPSDESK_NOW OPSDESK_CONFIG
db=${4:-$work/desk.db}
backup_path=$db
case $db in
  postgres*://*)
    backup_path="$work/app.db"
    sqlite3 "$backup_path" "CREATE TABLE t(x); INSERT INTO t VALUES (1);"
    sql() { psql -X -q -t -A -d "$db" -c "$1"; } ;;
  *) sql() { sqlite3 "$db" "$1"; } ;;
esac
cat > "$work/config.toml" <<TOML
[store]
busy_timeout = "30s"
[backup]
repository = "$work/repo"
[backup.retention]
keep_last = 3
[[backup.targets]]
name = "desk"
kind = "sqlite"
path = "$backup_path"
[[checks]]
name = "root"
type = "disk"
path = "/"
TOML
od() { "$bin" --db "$db" --config "$work/config.toml" "$@"; }
od ticket new "seed" >/dev/null 2>&1  # the first account

worker() {
  local w=$1 i ref code log="$work/worker-$w.log"
  set +e  # a command's failure is data here, not the end of the worker
  : > "$log"
  for ((i = 0; i < per; i++)); do
    case $((i % 10)) in
      0|1|2|3)
        if ref=$(od ticket new "w$w-$i" --priority low 2>>"$work/err-$w"); then echo "new $ref 0" >> "$log"; else echo "new - $?" >> "$log"; fi ;;
      4) ref=$(awk '$1 == "new" && $3 == 0 {print $2}' "$log" | tail -1)
         od ticket ack "$ref" >/dev/null 2>>"$work/err-$w"; echo "ack $ref $?" >> "$log" ;;
      5|6) ref=$(awk '$1 == "new" && $3 == 0 {print $2}' "$log" | tail -1)
         od ticket comment "$ref" "note $i" >/dev/null 2>>"$work/err-$w"; echo "comment $ref $?" >> "$log" ;;
      7) ref=$(awk '$1 == "ack" && $3 == 0 {print $2}' "$log" | tail -1)
         od ticket resolve "$ref" --resolution "done $i" >/dev/null 2>>"$work/err-$w"; echo "resolve $ref $?" >> "$log" ;;
      8) od inspect run --quiet >/dev/null 2>>"$work/err-$w"; echo "inspect - $?" >> "$log" ;;
      9) od backup run --quiet >/dev/null 2>>"$work/err-$w"; echo "backup - $?" >> "$log" ;;
    esac
  done
}

start=$(date +%s.%N)
for ((w = 0; w < procs; w++)); do worker "$w" & done
wait
end=$(date +%s.%N)

python3 - "$work" "$procs" "$(echo "$end - $start" | bc)" <<'PY'
import glob, sys, collections
work, procs, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
counts = collections.Counter()
refs = []
ok_events = collections.Counter()
bad = []
for f in glob.glob(f"{work}/worker-*.log"):
    for line in open(f):
        kind, ref, code = line.split()
        counts[(kind, code)] += 1
        if kind == "new" and code == "0": refs.append(ref)
        if code not in ("0", "75"): bad.append(line.strip())
        if code == "0" and kind in ("ack", "comment", "resolve"): ok_events[kind] += 1
total = sum(counts.values())
busy = sum(n for (k, c), n in counts.items() if c == "75")
print(f"concurrency: {procs} processes, {total} commands in {secs:.1f}s; exit 75: {busy} "
      f"({', '.join(f'{k} {n}' for (k, c), n in sorted(counts.items()) if c == '75') or 'none'})")
print("by command:", ", ".join(f"{k}={c}:{n}" for (k, c), n in sorted(counts.items())))
assert len(refs) == len(set(refs)), "duplicate references"
open(f"{work}/refs", "w").write("\n".join(refs))
open(f"{work}/expected", "w").write(f"{len(refs)} {ok_events['ack']} {ok_events['comment']} {ok_events['resolve']}\n")
if bad:
    print("unexpected exit codes:", *bad[:10], sep="\n  ")
    sys.exit(1)
PY
overlaps=$(cat "$work"/err-* 2>/dev/null | grep -c "is still going on this" || true)
busy=$(cat "$work"/err-* 2>/dev/null | grep -c "is busy" || true)
echo "concurrency: of the exits 75, $overlaps were a cron job already running (by design), $busy a busy store"
read -r tickets acks comments resolves < "$work/expected"
got=$(sql "SELECT count(*) FROM tickets WHERE title <> 'seed'" | tr '\n' ' ')
for kind in acknowledged comment resolved; do got+=$(sql "SELECT count(*) FROM ticket_events WHERE kind = '$kind'" | tr '\n' ' '); done
[ "$got" = "$tickets $acks $comments $resolves " ] || { echo "store has tickets/acks/comments/resolves $got; the commands that succeeded made $tickets $acks $comments $resolves" >&2; exit 1; }
integrity="PostgreSQL"
case $db in
  postgres*://*) ;;
  *) [ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ] || { echo "integrity_check failed" >&2; exit 1; }
     integrity="integrity_check ok" ;;
esac
od audit verify >/dev/null || { echo "audit verify failed" >&2; exit 1; }
echo "concurrency: references unique, $tickets tickets, $acks acks, $comments comments, $resolves resolutions as issued; $integrity; audit chain intact"
