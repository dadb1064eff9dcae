#!/usr/bin/env bash
# The cron and systemd units of config/ run as written: every ExecStart= of
# config/systemd/*.service and every job of config/cron/opsdesk is taken from the file, its
# paths mapped mechanically into a temporary root, and run against a small installation.
#
#   bash tests/config/units.sh OPSDESK_BIN [SOURCE_DIR]
#
# Mapping: /usr/bin/opsdesk -> OPSDESK_BIN, /etc/opsdesk -> ROOT/etc/opsdesk,
# /var/lib/opsdesk -> ROOT/var/lib/opsdesk. systemd's %% and $$ and cron's \% are unescaped
# as systemd and cron do; a unit's Environment=, StateDirectory= and UMask= are applied, a
# cron file's VAR=value lines likewise. A line fails the test when its exit code is not 0 or
# listed in the unit's SuccessExitStatus=.
set -euo pipefail
exec 2>&1  # one stream, in order, for ctest's log
shopt -u patsub_replacement 2>/dev/null || true  # bash 5.2: & in ${x//a/b} is literal

[[ $# -ge 1 ]] || { echo "usage: $0 OPSDESK_BIN [SOURCE_DIR]" >&2; exit 64; }
bin=$(realpath "$1")
src=$(realpath "${2:-$(dirname "$0")/../..}")
units=$src/config/systemd
cronfile=$src/config/cron/opsdesk
[[ -x $bin ]] || { echo "FAIL: $bin is not executable" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "FAIL: sqlite3 is needed (apt install sqlite3)" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/opsdesk-units.XXXXXX")
trap 'rm -rf "$T"' EXIT
root=$T/root
etc=$root/etc/opsdesk
state=$root/var/lib/opsdesk
mkdir -p "$etc" "$T/home" "$T/srv/app"
unset OPSDESK_DB OPSDESK_CONFIG OPSDESK_USER OPSDESK_NOW XDG_CONFIG_HOME XDG_DATA_HOME
export HOME=$T/home NO_COLOR=1

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok:   $*"; }

# The mechanical mapping of installed paths into the temporary root.
map() {
  local s=$1
  s=${s//\/usr\/bin\/opsdesk/"$bin"}
  s=${s//\/etc\/opsdesk/"$root/etc/opsdesk"}
  s=${s//\/var\/lib\/opsdesk/"$root/var/lib/opsdesk"}
  printf '%s' "$s"
}

# --- a small installation: two databases to back up and tune, checks that pass, a config.
sqlite3 "$T/srv/app/app.db" "PRAGMA journal_mode = WAL;
  CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT, created_at TEXT);
  CREATE INDEX orders_status ON orders (status);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
    INSERT INTO orders (status, created_at) SELECT 'open', date('2026-01-01', '+' || i || ' hours') FROM n;
  CREATE TABLE tmp_orders_fix (id INTEGER);" >/dev/null
sqlite3 "$T/srv/app/archive.db" "CREATE TABLE orders_2025 (id INTEGER PRIMARY KEY, total REAL);
  INSERT INTO orders_2025 (total) VALUES (1.5), (2.5);"
true_bin=$(type -P true)
cat >"$etc/config.toml" <<EOF
[desk]
name = "units test"
timezone = "UTC"

[store]
path = "$state/opsdesk.db"

[[checks]]
name = "loopback-true"
type = "command"
argv = ["$true_bin"]

[[checks]]
name = "app-db"
system = "app"
type = "sqlite"
path = "$T/srv/app/app.db"
integrity = "quick"

[backup]
repository = "$state/backups"

[backup.retention]
keep_daily = 7
keep_weekly = 4
keep_monthly = 12

[[backup.targets]]
name = "app-db"
system = "app"
kind = "sqlite"
path = "$T/srv/app/app.db"

[[dbtune.targets]]
name = "app"
system = "app"
path = "$T/srv/app/app.db"

# A name with a space and a quote: the units' loop over the targets must keep it whole.
[[dbtune.targets]]
name = "app's archive"
system = "app"
path = "$T/srv/app/archive.db"
EOF
dbtune_targets=("app" "app's archive")

# As the README says: an admin first, then an engineer account for the login that runs the
# jobs (here: whoever runs the test; installed: the opsdesk user), allowed to write reports.
desk() { OPSDESK_CONFIG=$etc/config.toml "$bin" "$@"; }
me=$(id -un)
desk config check >/dev/null
desk --as units-admin account add "$me" --role engineer --os-user "$me" >/dev/null
desk --as units-admin account role grant engineer report.generate >/dev/null
ok "installation in $root: config checked, accounts units-admin (admin) and $me (engineer)"

# --- structure of the units
shopt -s nullglob
services=("$units"/*.service)
timers=("$units"/*.timer)
[[ ${#services[@]} -gt 0 && ${#timers[@]} -gt 0 ]] || fail "no units in $units"
key() { sed -n "s/^$2=//p" "$1"; }  # every value of KEY in FILE, one a line
for t in "${timers[@]}"; do
  name=$(basename "$t" .timer)
  unit=$(key "$t" Unit)
  target=${unit:-$name.service}
  [[ -f $units/$target ]] || fail "$(basename "$t") starts $target, which is not in $units"
  [[ -n $(key "$t" OnCalendar) ]] || fail "$(basename "$t") has no OnCalendar="
  [[ $(key "$t" Persistent) == true ]] || fail "$(basename "$t") lacks Persistent=true"
  [[ -f $units/$target && -n $(key "$t" OnCalendar) ]] && ok "$(basename "$t") -> $target, OnCalendar=$(key "$t" OnCalendar | paste -sd' ')"
done
for s in "${services[@]}"; do
  n=$(basename "$s")
  [[ -n $(key "$s" ExecStart) ]] || fail "$n has no ExecStart="
  [[ -f ${s%.service}.timer ]] || fail "$n has no timer ${n%.service}.timer"
  for want in Type=oneshot User=opsdesk Group=opsdesk Environment=OPSDESK_CONFIG=/etc/opsdesk/config.toml UMask=0077 \
    NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes; do
    grep -qx "$want" "$s" || fail "$n lacks $want"
  done
  grep -q '^StateDirectory=opsdesk\b' "$s" || fail "$n lacks StateDirectory=opsdesk"
done

# --- systemd-analyze verify, on copies with the paths mapped (it checks that ExecStart's
# program exists, and /usr/bin/opsdesk is not installed here).
if command -v systemd-analyze >/dev/null; then
  mkdir -p "$T/units"
  for f in "${services[@]}" "${timers[@]}"; do map "$(cat "$f")" >"$T/units/$(basename "$f")"; echo >>"$T/units/$(basename "$f")"; done
  if out=$(cd "$T/units" && systemd-analyze verify --man=no ./*.service ./*.timer 2>&1); then
    ok "systemd-analyze verify: ${#services[@]} services, ${#timers[@]} timers"
  else
    fail "systemd-analyze verify:"$'\n'"$out"
  fi
else
  echo "skip: systemd-analyze is not installed, units not verified by systemd"
fi

# --- running the lines
# run_line LABEL EXPECTED_CODES AS_WRITTEN CMD...: runs CMD with stdin closed, keeps its
# output in $T/out and $T/err, and checks the exit code against the list.
run_line() {
  local label=$1 codes=$2 rc=0
  echo "---- $label"
  echo "     as written: $3"
  shift 3
  "$@" </dev/null >"$T/out" 2>"$T/err" || rc=$?
  sed 's/^/     | /' "$T/out" "$T/err" | head -n 40
  if [[ " $codes " == *" $rc "* ]]; then
    ok "$label: exit $rc"
  else
    fail "$label: exit $rc (expected one of: $codes)"
  fi
  last_rc=$rc
}

# What each kind of line must also have done, judged from its command text.
expect_effects() {
  local label=$1 line=$2 t
  if ((all_well)) && [[ $line == *"inspect run"* || $line == *"--at-risk"* ]] && [[ -n $(<"$T/out") ]]; then
    fail "$label: printed something although every check is OK and no ticket is at risk (cron would mail it)"
  fi
  if [[ $line == *"db-tune analyze"* ]]; then
    for t in "${dbtune_targets[@]}"; do
      grep -q "^$t: " "$T/out" || fail "$label: target \"$t\" was not analysed"
    done
  fi
}

# systemd: ExecStart= lines of a service in order, as a oneshot runs them (the first failure
# stops the rest).
systemd_argv() {  # a command line after systemd's unescaping, split into words as systemd does for these quotes
  local line=$1
  if [[ ${line//%%/} == *%* ]]; then
    echo "a systemd specifier (%x) this test does not expand: $line" >&2
    return 1
  fi
  line=${line//%%/%}
  line=${line//\$\$/\$}
  # shellcheck disable=SC2294
  eval "argv=($line)"
}

run_service() {
  local s=$1 n env_lines=() codes="0" dir line i=0
  n=$(basename "$s")
  while IFS= read -r line; do env_lines+=("$(map "$line")"); done < <(key "$s" Environment)
  codes+=" $(key "$s" SuccessExitStatus | tr '\n' ' ')"
  for dir in $(key "$s" StateDirectory); do mkdir -p "$root/var/lib/$dir"; done
  while IFS= read -r line; do
    i=$((i + 1))
    [[ $line == [-@:+!]* ]] && { fail "$n: ExecStart prefix ${line:0:1} is not handled by this test"; continue; }
    local argv=()
    systemd_argv "$(map "$line")" || { fail "$n: cannot read ExecStart=$line"; continue; }
    # shellcheck disable=SC2016 # $1 and $@ are the inner shell's
    run_line "systemd $n ExecStart #$i" "$codes" "$line" \
      env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin HOME="$T/home" USER="$me" LOGNAME="$me" \
      "${env_lines[@]}" bash -c 'umask "$1"; cd /; shift; exec "$@"' umask "$(key "$s" UMask)" "${argv[@]}"
    expect_effects "systemd $n #$i" "$line"
    [[ $last_rc == 0 || " $codes " == *" $last_rc "* ]] || break
  done < <(key "$s" ExecStart)
}

# cron: VAR=value lines set the environment of the jobs after them; a job is five time
# fields (or @word), the user, and the command, which cron hands to $SHELL -c with \% -> %.
run_cron() {
  local line cmd user n=0 cron_env=(HOME="$T/home" LOGNAME="$me" SHELL=/bin/sh PATH=/usr/bin:/bin)
  local fields
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    if [[ $line =~ ^[[:space:]]*([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=[[:space:]]*(.*)$ ]]; then
      cron_env+=("${BASH_REMATCH[1]}=$(map "${BASH_REMATCH[2]}")")
      continue
    fi
    n=$((n + 1))
    read -r -a fields <<<"$line"
    if [[ ${fields[0]} == @* ]]; then user=${fields[1]}; cmd=$(sed -E 's/^[[:space:]]*(\S+[[:space:]]+){2}//' <<<"$line")
    else user=${fields[5]}; cmd=$(sed -E 's/^[[:space:]]*(\S+[[:space:]]+){6}//' <<<"$line"); fi
    [[ $user == opsdesk ]] || fail "cron job $n runs as \"$user\", not opsdesk"
    if [[ ${cmd//\\%/} == *%* ]]; then fail "cron job $n has an unescaped % (cron turns it into a newline)"; continue; fi
    cmd=${cmd//\\%/%}
    local shell=/bin/sh e
    for e in "${cron_env[@]}"; do [[ $e == SHELL=* ]] && shell=${e#SHELL=}; done
    # shellcheck disable=SC2016 # $HOME and $@ are the inner shell's
    run_line "cron job $n" "0" "$line" \
      env -i "${cron_env[@]}" bash -c 'cd "$HOME" && exec "$@"' cron "$shell" -c "$(map "$cmd")"
    expect_effects "cron job $n" "$cmd"
  done <"$cronfile"
  [[ $n -gt 0 ]] || fail "no jobs in $cronfile"
}

# The month the report units name: computed here without date(1)'s arithmetic.
y=$(date +%Y) m=$((10#$(date +%m) - 1))
((m > 0)) || { y=$((y - 1)); m=12; }
report=$state/reports/report-$(printf '%04d-%02d' "$y" "$m").html

check_results() {  # after one set of units: the report file and the backups
  local who=$1 count
  if [[ -s $report ]] && grep -q '<html' "$report"; then ok "$who: $(basename "$report") written to $state/reports"
  else fail "$who: no report at $report"; fi
  rm -f "$report"
  count=$(desk backup list --target app-db --quiet | wc -l)
  if [[ $count -ge 1 ]]; then ok "$who: backup list shows $count backup(s) of app-db"
  else fail "$who: backup list shows no backup of app-db"; fi
  desk backup verify --latest --quiet || fail "$who: the newest backup does not verify"
}

all_well=1
echo "==== systemd units (no ticket at risk, every check OK)"
for s in "${services[@]}"; do run_service "$s"; done
check_results systemd
echo "==== cron jobs (no ticket at risk, every check OK)"
run_cron
check_results cron

all_well=0
# A ticket whose response clock is past sla.warn_at (75% of 30 minutes) and not yet due:
# the SLA lines must now print it.
ref=$(OPSDESK_NOW=-25m desk ticket new "orders page slow" --type incident --priority medium --system app)
echo "==== SLA lines again, with $ref at risk"
for s in "${services[@]}"; do
  grep -q -- '--at-risk' "$s" || continue
  run_service "$s"
  grep -q "$ref" "$T/out" || fail "$(basename "$s"): $ref at risk is not printed"
done
sla_cron=$T/cron.sla
{ grep -v '^[0-9*@]' "$cronfile"; grep -- '--at-risk' "$cronfile" | grep -v '^#'; } >"$sla_cron"
cronfile=$sla_cron
run_cron
grep -q "$ref" "$T/out" || fail "cron SLA job: $ref at risk is not printed"

echo
if ((failures)); then
  echo "FAILED: $failures problem(s) in the units of $src/config"
  exit 1
fi
echo "PASSED: every unit line ran as written"
