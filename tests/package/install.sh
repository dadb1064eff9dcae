#!/usr/bin/env bash
# The Debian package as an administrator meets it: `apt install ./opsdesk_*.deb` installs it
# cleanly, the installed binary, man pages, completion, units and system user are there, a
# ticket round trip works from /usr/bin/opsdesk, and `dpkg -r` removes it. Run by .ci/run
# (it needs root or sudo, and changes the machine: it removes the package again at the end).
# Usage: tests/package/install.sh path/to/opsdesk_VERSION_ARCH.deb
set -euo pipefail
deb=$(realpath "$1")
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
fail() { echo "package test: FAILED: $*" >&2; exit 1; }
step() { echo "package test: $*"; }

export DEBIAN_FRONTEND=noninteractive
dpkg-query -W -f='${Status}' man-db 2>/dev/null | grep -q 'install ok installed' ||
  { $sudo apt-get update -qq >/dev/null; $sudo apt-get install -y -qq --no-install-recommends man-db >/dev/null; }

if dpkg-query -W opsdesk >/dev/null 2>&1; then $sudo dpkg -r opsdesk >/dev/null; fi
step "installing $(basename "$deb")"
$sudo apt-get install -y -qq --no-install-recommends "$deb" >/dev/null
trap '$sudo dpkg -r opsdesk >/dev/null 2>&1 || true' EXIT

[ "$(command -v opsdesk)" = /usr/bin/opsdesk ] || fail "opsdesk is not /usr/bin/opsdesk"
version=$(dpkg-query -W -f='${Version}' opsdesk)
[ "$(opsdesk --version)" = "opsdesk $version" ] || fail "--version says '$(opsdesk --version)', the package $version"
step "$(opsdesk --version)"

# Man pages: installed where man finds them, rendered without roff warnings.
[ "$(man -w opsdesk)" = /usr/share/man/man1/opsdesk.1.gz ] || fail "man -w opsdesk: $(man -w opsdesk 2>&1)"
man -w opsdesk-ticket >/dev/null || fail "no opsdesk-ticket(1)"
MANWIDTH=100 man opsdesk 2>/tmp/opsdesk-man.err | grep -q "EXIT STATUS" || fail "man opsdesk has no EXIT STATUS"
[ ! -s /tmp/opsdesk-man.err ] || fail "man opsdesk warned: $(cat /tmp/opsdesk-man.err)"
step "man opsdesk, man opsdesk-ticket"

# Completion: the bash script the package installs offers the ticket subcommands.
offered=$(bash --norc -c 'source /usr/share/bash-completion/completions/opsdesk
  COMP_WORDS=(opsdesk ticket ""); COMP_CWORD=2; _opsdesk; printf "%s\n" "${COMPREPLY[@]}"')
for word in new list show resolve; do grep -qx "$word" <<<"$offered" || fail "bash completion does not offer 'ticket $word'"; done
[ -f /usr/share/zsh/vendor-completions/_opsdesk ] || fail "no zsh completion"
[ -f /usr/share/fish/vendor_completions.d/opsdesk.fish ] || fail "no fish completion"
step "completion offers: $(tr '\n' ' ' <<<"$offered" | cut -c1-60)..."

# Units, cron example, example config and the system user.
for unit in /usr/lib/systemd/system/opsdesk-*.timer; do
  [ -f "${unit%.timer}.service" ] || fail "$unit has no service"
done
ls /usr/lib/systemd/system/opsdesk-*.timer >/dev/null || fail "no timers installed"
[ -f /usr/share/doc/opsdesk/examples/cron.d/opsdesk ] || fail "no cron example"
[ -f /usr/share/doc/opsdesk/examples/config.toml ] || fail "no example config"
getent passwd opsdesk >/dev/null || fail "no opsdesk system user"
[ "$(stat -c '%a %U' /var/lib/opsdesk)" = "700 opsdesk" ] || fail "/var/lib/opsdesk is $(stat -c '%a %U' /var/lib/opsdesk)"
step "units: $(cd /usr/lib/systemd/system && ls opsdesk-*.timer | tr '\n' ' ')"

# A ticket round trip with the installed binary, as a new user in a fresh HOME.
home=$(mktemp -d)
(
  export HOME=$home OPSDESK_USER=tester
  unset XDG_CONFIG_HOME XDG_DATA_HOME OPSDESK_DB OPSDESK_CONFIG
  cd "$home"
  opsdesk init >/dev/null
  ref=$(opsdesk ticket new "installed package works" --priority low)
  opsdesk ticket ack "$ref" >/dev/null
  opsdesk ticket resolve "$ref" --resolution "yes" >/dev/null
  [ "$(opsdesk ticket show "$ref" --json status | tr -d ' \n')" = '{"status":"resolved"}' ] || exit 1
  [ "$(opsdesk ticket list --status all --quiet)" = "$ref" ] || exit 1
  opsdesk audit verify >/dev/null
  echo "package test: ticket round trip $ref: new → ack → resolved, audit verified"
) || fail "ticket round trip"
rm -rf "$home"

$sudo dpkg -r opsdesk >/dev/null
trap - EXIT
[ ! -e /usr/bin/opsdesk ] || fail "dpkg -r left /usr/bin/opsdesk"
[ ! -e /usr/share/man/man1/opsdesk.1.gz ] || fail "dpkg -r left the man page"
step "removed cleanly"
echo "package test: OK"
