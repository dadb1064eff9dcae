#!/usr/bin/env python3
"""Golden test of opsdesk's scriptable output against the JSON Schemas in docs/json.

    check_schemas.py OPSDESK_BINARY SCHEMA_DIR

Builds a realistic throwaway desk in a temporary directory (its own HOME, --db and --config:
accounts, checks, backup targets, a database to tune, tickets through their lifecycle), runs
every command that prints JSON, and validates each output against its schema. Fails, naming
the command, the schema and the offending key, when
  - an output does not match its schema (a key added, renamed, removed or retyped),
  - a schema file is not valid JSON Schema (draft 2020-12),
  - a schema file in SCHEMA_DIR is used by no command (a stale schema),
  - the vocabulary in common.schema.json differs from lib/model/vocabulary.hpp.

Needs python3 and jsonschema (Debian: python3-jsonschema; 4.10 as in bookworm, or newer with
the `referencing` package).
"""

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

try:
    import jsonschema
    from jsonschema import Draft202012Validator
except ImportError:  # pragma: no cover - reported, not hidden
    print("check_schemas.py needs the jsonschema module: apt-get install python3-jsonschema", file=sys.stderr)
    sys.exit(1)

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


class Setup(Exception):
    """A command the desk's story needs failed: the rest cannot run."""


# ------------------------------------------------------------------------------------------
# Schemas


def load_schemas(schema_dir):
    schemas, problems = {}, []
    for path in sorted(schema_dir.glob("*.schema.json")):
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as e:
            problems.append(f"{path.name}: not JSON: {e}")
            continue
        if schema.get("$schema") != DRAFT_2020_12:
            problems.append(f"{path.name}: \"$schema\" must be \"{DRAFT_2020_12}\"")
        try:
            Draft202012Validator.check_schema(schema)
        except jsonschema.exceptions.SchemaError as e:
            problems.append(f"{path.name}: not a valid draft 2020-12 schema: {e.message} (at {list(e.absolute_path)})")
            continue
        schemas[path.name] = schema
    return schemas, problems


def make_validators(schemas):
    """name -> validator, with "$ref": "other.schema.json#..." resolving to the other files.

    jsonschema >= 4.18 resolves through a `referencing` registry; older ones (Debian bookworm
    ships 4.10) through RefResolver. The schemas have no $id: each is known by its file name,
    and relative references resolve against that name.
    """
    try:
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        registry = Registry().with_resources(
            (name, Resource.from_contents(s, default_specification=DRAFT202012)) for name, s in schemas.items())

        def validator(name):
            return Draft202012Validator({"$ref": name}, registry=registry)
    except ImportError:
        from jsonschema import RefResolver

        def validator(name):
            resolver = RefResolver(base_uri=name, referrer=schemas[name], store=dict(schemas))
            return Draft202012Validator(schemas[name], resolver=resolver)

    return {name: validator(name) for name in schemas}


def referenced_files(schema):
    """The schema files a schema refers to ("x.schema.json#/..." -> "x.schema.json")."""
    out = set()
    if isinstance(schema, dict):
        for k, v in schema.items():
            if k == "$ref" and isinstance(v, str) and not v.startswith("#"):
                out.add(v.split("#", 1)[0])
            else:
                out |= referenced_files(v)
    elif isinstance(schema, list):
        for v in schema:
            out |= referenced_files(v)
    return out


def json_path(parts):
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def offending_key(error):
    """The key an error is about: the missing, unexpected or wrongly typed one."""
    if error.validator == "required":
        m = re.match(r"'([^']*)' is a required property", error.message)
        if m:
            return m.group(1)
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        keys = re.findall(r"'([^']*)'", error.message.split("(", 1)[-1])
        if keys:
            return ", ".join(keys)
    for p in reversed(list(error.absolute_path)):
        if isinstance(p, str):
            return p
    return "(the document itself)"


def leaf_errors(error):
    """anyOf/oneOf errors carry the reasons in their context: report those."""
    if error.context:
        best = jsonschema.exceptions.best_match(error.context)
        return leaf_errors(best) if best is not None else [error]
    return [error]


def explain(errors, limit=6):
    lines = []
    for e in sorted(errors, key=lambda e: (list(map(str, e.absolute_path)), e.message))[:limit]:
        for leaf in leaf_errors(e):
            message = leaf.message if len(leaf.message) <= 300 else leaf.message[:200] + " ... " + leaf.message[-80:]
            lines.append(f"key \"{offending_key(leaf)}\" at {json_path(leaf.absolute_path)}: {message}"
                         f"  [schema rule: {'/'.join(map(str, leaf.absolute_schema_path)) or '(root)'}]")
    if len(errors) > limit:
        lines.append(f"... and {len(errors) - limit} more")
    return lines


def check_vocabulary(schemas, vocabulary_hpp):
    """common.schema.json's enums against lib/model/vocabulary.hpp's Names<E>::values."""
    if not vocabulary_hpp.exists() or "common.schema.json" not in schemas:
        return [], f"note: {vocabulary_hpp} not found; the vocabulary was not compared"
    text = vocabulary_hpp.read_text(encoding="utf-8")
    names = {}
    for m in re.finditer(r"struct Names<(\w+)>\s*\{(.*?)\};", text, re.S):
        values = m.group(2).split("values", 1)
        if len(values) == 2:
            names[m.group(1)] = re.findall(r'"([^"]*)"sv', values[1])
    defs = schemas["common.schema.json"].get("$defs", {})
    pairs = {"TicketType": "ticket_type", "Priority": "priority", "Status": "status", "Channel": "channel",
             "PendingReason": "pending_reason", "LinkKind": "link_kind", "Role": "role", "Risk": "risk"}
    problems = []
    for enum, key in pairs.items():
        if enum not in names:
            problems.append(f"vocabulary: lib/model/vocabulary.hpp has no Names<{enum}> any more (common.schema.json "
                            f"$defs/{key})")
            continue
        if key not in defs:
            problems.append(f"vocabulary: common.schema.json has no $defs/{key}")
        for name in (key, key + "_or_null"):
            d = defs.get(name)
            if d is None:
                continue
            got = [v for v in d.get("enum", []) if v is not None]
            if got != names[enum]:
                problems.append(f"vocabulary: common.schema.json $defs/{name} enum {got} differs from "
                                f"model::Names<{enum}> {names[enum]} in lib/model/vocabulary.hpp")
    return problems, None


# ------------------------------------------------------------------------------------------
# The desk


CONFIG = """\
[desk]
name = "Schema test desk"
timezone = "UTC"

[backup]
repository = "{dir}/backups"

[backup.retention]
keep_last = 2

[[backup.targets]]
name = "desk"
system = "opsdesk"
kind = "sqlite"
path = "{dir}/opsdesk.db"
encrypt = true
key_file = "{dir}/backup.key"

[[backup.targets]]
name = "erp-config"
system = "erp"
kind = "files"
paths = ["{dir}/erp-etc"]
exclude = ["*.tmp"]

[[backup.targets]]
name = "erp-dump"
system = "erp"
kind = "command"
argv = ["sh", "-c", "echo 'pretend this is pg_dump -Fc erp'"]

[[backup.targets]]
name = "mail-dump"
system = "mail"
kind = "command"
argv = ["sh", "-c", "echo 'mail-db: connection refused' >&2; exit 1"]

[[checks]]
name = "root-disk"
system = "erp"
type = "disk"
path = "/"
warning = "1:"
critical = "0:"
tags = ["disk"]

[[checks]]
name = "erp-worker"
system = "erp"
type = "process"
args = "{worker}"
critical = "1:"
open_ticket = "critical"
auto_resolve = true

[[checks]]
name = "desk-backup"
system = "opsdesk"
type = "backup_freshness"
target = "desk"

[[dbtune.targets]]
name = "erp-db"
system = "erp"
path = "{dir}/erp.db"
"""

# Every section and optional key that `config show` prints, for its schema.
FULL_CONFIG = """\
[desk]
name = "Every key"
timezone = "Asia/Shanghai"

[store]
path = "{dir}/other.db"
busy_timeout = "20s"

[sla]
applies_to = ["incident", "request"]
pause_on = ["customer", "vendor"]

[sla.calendar]
days = ["monday", "tuesday", "wednesday", "thursday", "friday"]
hours = "09:00-12:00,13:00-18:00"
holidays = ["2026-10-01"]
workdays = ["2026-10-10"]
clocks = ["response", "resolution"]

[backup]
repository = "{dir}/backups"
key_file = "{dir}/backup.key"

[[backup.targets]]
name = "files"
kind = "files"
paths = ["{dir}/erp-etc"]
repository = "{dir}/other-backups"

[backup.targets.retention]
keep_daily = 7

[[backup.targets]]
name = "dump"
kind = "command"
argv = ["true"]

[[backup.targets]]
name = "pg"
kind = "postgres"
url = "postgresql://backup@db.example.invalid/erp?sslmode=require"

[[dbtune.targets]]
name = "db"
path = "{dir}/erp.db"
temp_patterns = ["scratch_*"]

[dbtune.targets.thresholds]
huge_table_rows = 1000

[[checks]]
name = "web"
type = "http"
url = "https://user:secret@erp.example.invalid/login"
critical = "~:5"

[[checks]]
name = "port"
type = "tcp"
host = "127.0.0.1"
port = 5432

[[checks]]
name = "plugin"
type = "command"
argv = ["/usr/lib/nagios/plugins/check_dummy", "0"]

[[checks]]
name = "erp-db"
type = "postgres"
url = "postgresql://monitor@db.example.invalid/erp"
warning = "~:60"
"""

# A postgres backup target and check, on the server in $OPSDESK_TEST_PG (a URL without a
# database) when the suite has one.
PG_CONFIG = """\
[backup]
repository = "{dir}/pg-backups"

[[backup.targets]]
name = "erp-pg"
system = "erp"
kind = "postgres"
url = "{url}"

[[checks]]
name = "erp-pg"
system = "erp"
type = "postgres"
url = "{url}"
warning = "~:60"
"""

WORKLOAD = """\
SELECT * FROM orders WHERE status = ? ORDER BY created_at;
SELECT * FROM customers WHERE city = ?;
"""


class Desk:
    def __init__(self, binary, schemas, validators, work):
        self.binary = binary
        self.schema_types = {name: s.get("type") for name, s in schemas.items()}
        self.validators = validators
        self.dir = work
        self.db = work / "opsdesk.db"
        self.config = work / "config.toml"
        self.failures = []  # (command, schema, [lines])
        self.used = {}      # schema -> [commands]
        self.ran = 0
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("OPSDESK_DB", "OPSDESK_CONFIG", "OPSDESK_NOW", "OPSDESK_USER", "NO_COLOR", "COLUMNS")}
        self.env.update({"HOME": str(work), "XDG_CONFIG_HOME": str(work / "xdg-config"),
                         "XDG_DATA_HOME": str(work / "xdg-data"), "TZ": "UTC", "NO_COLOR": "1",
                         "OPSDESK_USER": "wang"})

    def run(self, args, schema=None, codes=(0,), user=None, db=None, config=None, jsonl=False, stdin=None):
        """Run opsdesk ARGS; with `schema`, validate its stdout. Returns the parsed output (or stdout)."""
        argv = [str(self.binary), "--db", str(db or self.db), "--config", str(config or self.config)]
        if user:
            argv += ["--as", user]
        argv += [str(a) for a in args]
        shown = "opsdesk " + (f"--as {user} " if user else "") + " ".join(_quote(str(a)) for a in args)
        p = subprocess.run(argv, env=self.env, cwd=self.dir, input=stdin, capture_output=True, text=True, timeout=300)
        self.ran += 1
        if p.returncode not in codes:
            raise Setup(f"{shown}\n      exited {p.returncode} (expected {' or '.join(map(str, codes))})\n"
                        f"      stderr: {p.stderr.strip()}\n      stdout: {p.stdout.strip()[:2000]}")
        if schema is None:
            return p.stdout
        self.used.setdefault(schema, []).append(shown)
        if schema not in self.validators:
            self.failures.append((shown, schema, [f"docs/json/{schema} does not exist (or is not a valid schema)"]))
            return None
        try:
            if jsonl:
                lines = [ln for ln in p.stdout.split("\n") if ln.strip()]
                doc = [json.loads(ln) for ln in lines]
                if any(not isinstance(d, dict) for d in doc):
                    self.failures.append((shown, schema, ["--format jsonl printed a line that is not a JSON object"]))
            else:
                doc = json.loads(p.stdout)
        except ValueError as e:
            self.failures.append((shown, schema, [f"stdout is not JSON: {e}", p.stdout[:500]]))
            return None
        if jsonl and self.schema_types.get(schema) != "array":
            # One document per line (ticket export): each line is checked on its own.
            lines = []
            for n, line_doc in enumerate(doc, 1):
                errors = list(self.validators[schema].iter_errors(line_doc))
                if errors:
                    lines += [f"line {n}: {e}" for e in explain(errors)]
            if lines:
                self.failures.append((shown, schema, lines[:8]))
            return doc
        errors = list(self.validators[schema].iter_errors(doc))
        if errors:
            self.failures.append((shown, schema, explain(errors)))
        return doc

    def fields(self, args, fields, schema):
        """--json FIELDS keeps exactly those keys, in that order (gh-style)."""
        doc = self.run(args + ["--json", ",".join(fields)])
        shown = "opsdesk " + " ".join(args + ["--json", ",".join(fields)])
        try:
            items = json.loads(doc)
        except ValueError as e:
            self.failures.append((shown, schema, [f"stdout is not JSON: {e}"]))
            return
        for i, item in enumerate(items if isinstance(items, list) else [items]):
            if list(item) != fields:
                self.failures.append((shown, schema, [f"--json {','.join(fields)} gave keys {list(item)} at $[{i}]"]))
                return


def _quote(s):
    if re.fullmatch(r"[A-Za-z0-9_.,:/=+@%-]+", s):
        return s
    return "'" + s.replace("'", "'\\''").replace("\n", "\\n") + "'"


def make_erp_db(path):
    c = sqlite3.connect(path)
    c.executescript("""
        CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT, city TEXT);
        CREATE TABLE orders(id INTEGER PRIMARY KEY, customer_id INTEGER, status TEXT, created_at TEXT, total REAL);
        CREATE INDEX orders_customer ON orders(customer_id);
        CREATE INDEX orders_by_customer ON orders(customer_id);
        CREATE INDEX orders_status_id ON orders(status, id);
        CREATE TABLE tmp_price_fix(id INTEGER, price REAL);
        CREATE TABLE orders_bak_20250930(id INTEGER, customer_id INTEGER);
        CREATE TABLE temp_report(city TEXT, n INTEGER);
        CREATE VIEW city_report AS SELECT * FROM temp_report;
    """)
    c.executemany("INSERT INTO customers(name, city) VALUES (?, ?)", [(f"c{i}", f"city{i % 50}") for i in range(2000)])
    c.executemany("INSERT INTO orders(customer_id, status, created_at, total) VALUES (?, ?, ?, ?)",
                  [(i % 2000, ("new", "paid", "sent")[i % 3], f"2026-0{1 + i % 9}-01", i * 1.5) for i in range(20000)])
    c.executemany("INSERT INTO orders_bak_20250930 VALUES (?, ?)", [(i, i % 7) for i in range(100)])
    c.commit()
    c.close()


def story(d, worker_token):
    """The desk's life, with every JSON-printing command along the way."""
    w = d.dir
    (w / "erp-etc").mkdir()
    (w / "erp-etc" / "listener.ora").write_text("LISTENER = (ADDRESS = (PROTOCOL = TCP)(PORT = 1521))\n")
    (w / "erp-etc" / "scratch.tmp").write_text("left out\n")
    os.symlink("listener.ora", w / "erp-etc" / "current.ora")
    make_erp_db(w / "erp.db")
    (w / "erp-workload.sql").write_text(WORKLOAD)
    d.config.write_text(CONFIG.format(dir=w, worker=worker_token))
    (w / "full.toml").write_text(FULL_CONFIG.format(dir=w))

    # Accounts: wang's first change makes him admin.
    d.run(["account", "add", "chen", "--role", "customer", "--display-name", "Ms. Chen", "--email", "chen@example.com",
           "--json"], "account.schema.json")
    d.run(["account", "add", "li", "--role", "engineer", "--os-user", "li", "--json"], "account.schema.json")
    leaves = (datetime.now(timezone.utc) + timedelta(days=2)).strftime("%Y-%m-%d")
    d.run(["account", "set", "li", "--leaves", leaves, "--json"], "account.schema.json")
    d.run(["account", "add", "temp", "--role", "viewer", "--json"], "account.schema.json")
    d.run(["account", "disable", "temp", "--json"], "account.schema.json")

    # An incident through its whole life: acknowledged late, on site, pending, extended, resolved,
    # signed by both parties, surveyed and closed.
    inc = d.run(["ticket", "new", "ERP login fails with ORA-12541", "--priority", "high", "--system", "erp",
                 "--channel", "onsite", "--reporter", "Ms. Chen", "--category", "database", "-d",
                 "Users get ORA-12541 at login.\nSince 02:10.", "--at", "-5h", "--json"], "ticket.schema.json")["ref"]
    d.run(["ticket", "ack", inc, "--at", "-4h", "--json"], "ticket.schema.json")
    d.run(["ticket", "assign", inc, "li", "--at", "-3h50m", "--json"], "ticket.schema.json")
    d.run(["ticket", "start", inc, "--at", "-3h45m", "--json"], "ticket.schema.json")
    d.run(["ticket", "onsite", inc, "--arrived", "-3h30m", "--json"], "ticket.schema.json")
    d.run(["ticket", "onsite", inc, "--mitigated", "-3h", "--json"], "ticket.schema.json")
    d.run(["ticket", "comment", inc, "listener down on erp-db01; restarted, switched to standby", "--at", "-2h55m",
           "--json"], "ticket-event.schema.json")
    d.run(["ticket", "pend", inc, "--reason", "customer", "--note", "waiting for the customer's DBA", "--at", "-2h30m",
           "--json"], "ticket.schema.json")
    d.run(["ticket", "resume", inc, "--at", "-2h", "--json"], "ticket.schema.json")
    d.run(["ticket", "log-work", inc, "2h", "--note", "diagnosis, failover, test", "--json"], "ticket-log-work.schema.json")
    d.run(["ticket", "extend", inc, "--by", "4h", "--reason", "vendor patch arrives tomorrow", "--json"],
          "ticket-extension.schema.json")
    d.run(["ticket", "extension", "approve", inc, "--json"], "ticket-extension.schema.json", user="chen")
    d.run(["ticket", "sla", inc, "--json"], "ticket-sla.schema.json")
    d.run(["ticket", "resolve", inc, "--resolution", "listener.ora fixed; failover tested", "--json"],
          "ticket.schema.json")
    d.run(["ticket", "sign", inc, "--json"], "ticket-sign.schema.json")
    d.run(["ticket", "sign", inc, "--json"], "ticket-sign.schema.json", user="chen")
    d.run(["ticket", "survey", inc, "--score", "5", "--comment", "fast and clear"], user="chen")
    d.run(["ticket", "close", inc, "--json"], "ticket.schema.json")
    d.run(["ticket", "sla", inc, "--json"], "ticket-sla.schema.json")

    # A rejected extension, a reopen, a cancel.
    mail = d.run(["ticket", "new", "Mail queue stuck", "-p", "medium", "-s", "mail", "--channel", "email", "--at", "-1h",
                  "--json"], "ticket.schema.json")["ref"]
    d.run(["ticket", "extend", mail, "--by", "2h", "--reason", "waiting for the provider", "--json"],
          "ticket-extension.schema.json")
    d.run(["ticket", "extension", "reject", mail, "--json"], "ticket-extension.schema.json", user="chen")
    d.run(["ticket", "resolve", mail, "-r", "queue flushed", "--json"], "ticket.schema.json")
    d.run(["ticket", "reopen", mail, "--reason", "stuck again", "--json"], "ticket.schema.json")
    dup = d.run(["ticket", "new", "duplicate call", "-p", "low", "--json"], "ticket.schema.json")["ref"]
    d.run(["ticket", "cancel", dup, "--reason", "duplicate", "--json"], "ticket.schema.json")

    # A problem resolved with the incident it caused; another left open; a KB article from it.
    prb = d.run(["ticket", "new", "Listener crashes under load", "-t", "problem", "-s", "erp", "--at", "-40m",
                 "--json"], "ticket.schema.json")["ref"]
    d.run(["ticket", "set", prb, "--root-cause", "connection limit of 100", "--workaround", "restart the listener",
           "--known-error", "true", "--json"], "ticket.schema.json")
    again = d.run(["ticket", "new", "ERP slow again", "-p", "urgent", "-s", "erp", "--at", "-30m", "--json"],
                  "ticket.schema.json")["ref"]
    d.run(["ticket", "link", again, "--to", prb, "--kind", "caused-by", "--json"], "ticket-link.schema.json")
    d.run(["ticket", "resolve", prb, "--resolution", "limit raised to 500", "--cascade", "--json"],
          "ticket-resolve-cascade.schema.json")
    open_prb = d.run(["ticket", "new", "Backup window too short", "-t", "problem", "-s", "erp", "--json"],
                     "ticket.schema.json")["ref"]
    d.run(["ticket", "assign", open_prb, "li", "--json"], "ticket.schema.json")
    d.run(["kb", "add", "--from", prb, "--json"], "kb-article.schema.json")
    kb = d.run(["kb", "add", "--title", "Mail queue stuck", "--symptoms", "mails wait in the queue", "--cause",
                "provider throttling", "--fix", "flush the queue", "--tags", "mail,queue", "-s", "mail", "--json"],
               "kb-article.schema.json")["ref"]

    # Changes: one approved for tomorrow (planned downtime), one implemented and reviewed and released,
    # one rejected. A request over the small-development limit.
    chg = d.run(["ticket", "new", "Raise the listener's connection limit", "-t", "change", "-s", "erp", "--json"],
                "ticket.schema.json")["ref"]
    d.run(["ticket", "set", chg, "--risk", "low", "--plan", "edit listener.ora; reload", "--rollback-plan",
           "restore the old file; reload", "--window-start", "+1d", "--window-end", "+1d1h", "--json"],
          "ticket.schema.json")
    d.run(["ticket", "submit", chg, "--json"], "ticket.schema.json")
    d.run(["ticket", "approve", chg, "--json"], "ticket.schema.json", user="chen")
    done = d.run(["ticket", "new", "Patch the ERP to 5.2", "-t", "change", "-s", "erp", "--json"],
                 "ticket.schema.json")["ref"]
    d.run(["ticket", "set", done, "--risk", "medium", "--plan", "apply patch 5.2", "--rollback-plan", "uninstall it",
           "--test-evidence", "passed on staging", "--window-start", "-3h", "--window-end", "-2h30m", "--json"], "ticket.schema.json")
    d.run(["ticket", "submit", done, "--json"], "ticket.schema.json")
    d.run(["ticket", "approve", done, "--json"], "ticket.schema.json", user="chen")
    d.run(["ticket", "implement", done, "--json"], "ticket.schema.json")
    d.run(["ticket", "review", done, "--note", "no incidents since", "--json"], "ticket.schema.json")
    rel = d.run(["ticket", "new", "ERP release 5.2", "-t", "release", "-s", "erp", "--json"], "ticket.schema.json")["ref"]
    d.run(["ticket", "link", rel, "--to", done, "--kind", "implements", "--json"], "ticket-link.schema.json")
    d.run(["ticket", "submit", rel, "--json"], "ticket.schema.json")
    d.run(["ticket", "approve", rel, "--json"], "ticket.schema.json", user="chen")
    d.run(["ticket", "release", rel, "--json"], "ticket.schema.json")
    no = d.run(["ticket", "new", "Move the ERP to new hardware", "-t", "change", "-s", "erp",
                "--json"], "ticket.schema.json")["ref"]
    d.run(["ticket", "set", no, "--risk", "high", "--plan", "migrate", "--rollback-plan", "move back", "--window-start",
           "+5d", "--window-end", "+5d8h", "--json"], "ticket.schema.json")
    d.run(["ticket", "submit", no, "--json"], "ticket.schema.json")
    d.run(["ticket", "reject", no, "--note", "not this quarter", "--json"], "ticket.schema.json", user="chen")
    d.run(["ticket", "new", "VPN for the new auditors", "-t", "request", "-p", "low", "--estimate", "3d", "--json"],
          "ticket.schema.json")

    # Planned downtime.
    d.run(["downtime", "add", "--start", "+2d", "--end", "+2d2h", "-s", "mail", "--reason", "mail server upgrade",
           "--json"], "downtime.schema.json")
    d.run(["downtime", "add", "--start", "+3d", "--end", "+3d30m", "--reason", "network maintenance", "--json"],
          "downtime.schema.json")
    d.run(["downtime", "list", "--json"], "downtime-list.schema.json")
    d.run(["downtime", "list", "--format", "jsonl"], "downtime-list.schema.json", jsonl=True)

    # Backups: an encrypted live store, files, a dump, and a dump that fails (exit 1).
    d.run(["backup", "key", "--output", w / "backup.key"])
    d.run(["backup", "run", "--json"], "backup-list.schema.json", codes=(1,))
    d.run(["backup", "verify", "--latest", "--deep", "--json"], "backup-verify.schema.json")
    backups = d.run(["backup", "list", "--all", "--json"], "backup-list.schema.json")
    d.run(["backup", "list", "--format", "jsonl"], "backup-list.schema.json", jsonl=True)
    by_target = {}
    for b in backups or []:
        if b.get("status") == "ok":
            by_target.setdefault(b["target"], b["id"])
    for target in ("desk", "erp-config", "erp-dump"):
        if target not in by_target:
            raise Setup(f"backup run made no backup of {target}")
        d.run(["backup", "show", by_target[target], "--json"], "backup-show.schema.json")
    failed = [b["id"] for b in backups or [] if b.get("status") == "failed"]
    if failed:
        d.run(["backup", "show", failed[0], "--json"], "backup-show.schema.json")
    d.run(["backup", "restore", by_target["erp-dump"], "--to", w / "restored.dump", "--json"],
          "backup-restore.schema.json")
    d.run(["backup", "run", "erp-dump", "--json"], "backup-list.schema.json")
    d.run(["backup", "run", "erp-dump", "--json"], "backup-list.schema.json")  # taken again: ids get -2, -3 within a second
    d.run(["backup", "prune", "--dry-run", "--json"], "backup-prune.schema.json")
    d.run(["backup", "prune", "--target", "erp-dump", "--json"], "backup-prune.schema.json")
    d.run(["backup", "list", "--all", "--json"], "backup-list.schema.json")

    postgres_story(d)

    # Inspections: the ERP worker is down (an incident opens), then up again (it is resolved).
    d.run(["inspect", "run", "--all", "--format", "json"], "inspect-run.schema.json", codes=(2,))
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", worker_token],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        d.run(["inspect", "run", "--all", "--record", "--format", "json"], "inspect-run.schema.json", codes=(0, 1, 2, 3))
    finally:
        worker.kill()
        worker.wait()
    d.run(["inspect", "list", "--json"], "inspect-list.schema.json")
    d.run(["inspect", "history", "--json"], "inspect-history.schema.json")
    d.run(["inspect", "history", "--format", "jsonl"], "inspect-history.schema.json", jsonl=True)
    d.run(["inspect", "availability", "--since", "-1d", "--json"], "inspect-availability.schema.json")

    # Database tuning.
    d.run(["db-tune", "analyze", "erp-db", "--workload", w / "erp-workload.sql", "--json"], "db-tune-analyze.schema.json")
    d.run(["db-tune", "analyze", "erp-db", "--json"], "db-tune-analyze.schema.json")
    d.run(["db-tune", "apply", "erp-db", "--all-safe", "--dry-run", "--json"], "db-tune-apply-dry-run.schema.json")
    actions = d.run(["db-tune", "apply", "erp-db", "--all-safe", "--workload", w / "erp-workload.sql", "--json"],
                    "db-tune-history.schema.json")
    if not actions:
        raise Setup("db-tune apply --all-safe applied nothing")
    d.run(["db-tune", "undo", actions[0]["id"], "--json"], "db-tune-undo.schema.json")
    d.run(["db-tune", "clean-temp", "erp-db", "--json"], "db-tune-clean-temp.schema.json")
    d.run(["db-tune", "clean-temp", "erp-db", "--apply", "--json"], "db-tune-clean-temp.schema.json")
    d.run(["db-tune", "optimize", "erp-db", "--dry-run", "--json"], "db-tune-optimize.schema.json")
    d.run(["db-tune", "optimize", "erp-db", "--json"], "db-tune-optimize.schema.json")
    d.run(["db-tune", "history", "--json"], "db-tune-history.schema.json")
    d.run(["db-tune", "history", "--format", "jsonl"], "db-tune-history.schema.json", jsonl=True)

    # Reading tickets, the knowledge base, exports and imports.
    d.run(["ticket", "list", "--json"], "ticket-list.schema.json")
    d.run(["ticket", "list", "--status", "all", "--limit", "0", "--json"], "ticket-list.schema.json")
    d.run(["ticket", "list", "--status", "all", "--format", "jsonl"], "ticket-list.schema.json", jsonl=True)
    d.run(["ticket", "list", "--breached", "--json"], "ticket-list.schema.json")
    d.fields(["ticket", "list", "--status", "all"], ["ref", "priority", "status"], "ticket-list.schema.json")
    for ref in (inc, prb, chg, rel):
        d.run(["ticket", "show", ref, "--json"], "ticket-show.schema.json")
    export = d.run(["ticket", "export"])
    (w / "export.jsonl").write_text(export)
    d.run(["ticket", "export", "--status", "all"], "ticket-export.schema.json", jsonl=True)
    d.run(["ticket", "import", w / "export.jsonl", "--json"], "ticket-import.schema.json", db=w / "imported.db")
    (w / "export.csv").write_text(d.run(["ticket", "export", "--format", "csv"]))
    d.run(["ticket", "import", w / "export.csv", "--json"], "ticket-import.schema.json", db=w / "imported-csv.db")
    (w / "empty.jsonl").write_text("")
    d.run(["ticket", "import", w / "empty.jsonl", "--json"], "ticket-import.schema.json", db=w / "imported-empty.db")
    d.run(["kb", "list", "--json"], "kb-list.schema.json")
    d.run(["kb", "list", "--format", "jsonl"], "kb-list.schema.json", jsonl=True)
    d.run(["kb", "show", kb, "--json"], "kb-article.schema.json")
    d.run(["kb", "search", "listener", "--json"], "kb-search.schema.json")
    d.run(["kb", "search", "--for", again, "--json"], "kb-search.schema.json")

    # Accounts, audit, config.
    d.run(["account", "list", "--json"], "account-list.schema.json")
    d.run(["account", "list", "--all", "--format", "jsonl"], "account-list.schema.json", jsonl=True)
    d.run(["account", "show", "li", "--json"], "account-show.schema.json")
    d.run(["account", "whoami", "--json"], "account-whoami.schema.json")
    d.run(["account", "whoami", "--json"], "account-whoami.schema.json", user="chen")
    d.run(["account", "whoami", "--json"], "account-whoami.schema.json", db=w / "no-accounts.db")
    d.run(["account", "role", "list", "--json"], "account-role-list.schema.json")
    d.run(["audit", "log", "--limit", "0", "--json"], "audit-log.schema.json")
    d.run(["audit", "log", "--limit", "0", "--format", "jsonl"], "audit-log.schema.json", jsonl=True)
    d.run(["audit", "verify", "--json"], "audit-verify.schema.json")
    d.run(["config", "show", "--json"], "config-show.schema.json")
    d.run(["config", "show", "--json"], "config-show.schema.json", config=w / "full.toml")
    d.run(["config", "path", "--json"], "config-path.schema.json")
    d.run(["store", "copy", "--to", w / "copy.db", "--json"], "store-copy.schema.json")

    # The service report of the last 30 days (and the next, for the planned change), recorded.
    period = ["--since", "-30d", "--until", "+7d"]
    d.run(["report", "--format", "json", *period], "report.schema.json", codes=(0, 1))
    d.run(["report", "--format", "json", "--system", "erp", "--redact", *period], "report.schema.json", codes=(0, 1))
    d.run(["report", "--format", "json", "--record", "--no-fail", *period], "report.schema.json")
    d.run(["report", "--format", "json", "--record", "--no-fail", "--output", w / "report.json", *period])
    d.run(["report", "history", "--json"], "report-history.schema.json")
    d.run(["report", "history", "--format", "jsonl"], "report-history.schema.json", jsonl=True)


def pg_url(server, name):
    """`server` (a URL without a database, as in $OPSDESK_TEST_PG) naming database `name`."""
    base, _, query = server.partition("?")
    return base.rstrip("/") + "/" + name + ("?" + query if query else "")


def postgres_story(d):
    """A postgres target backed up, verified with a restore drill and restored, and its check run:
    only with a server ($OPSDESK_TEST_PG, which ctest gives when OPSDESK_TEST_POSTGRES is on)."""
    server = os.environ.get("OPSDESK_TEST_PG", "")
    if not server:
        print("note: OPSDESK_TEST_PG is not set; the postgres target and check were not run")
        return
    src, dst = f"opsdesk_json_{os.getpid()}_src", f"opsdesk_json_{os.getpid()}_dst"

    def psql(db, sql):
        p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", pg_url(server, db), "-c", sql],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise Setup(f"psql: {sql}\n      {p.stderr.strip()}")

    psql("postgres", f"CREATE DATABASE {src}")
    try:
        psql("postgres", f"CREATE DATABASE {dst}")
        psql(src, "CREATE TABLE orders (id serial PRIMARY KEY, total numeric); "
                  "INSERT INTO orders (total) SELECT i * 1.5 FROM generate_series(1, 100) i")
        config = d.dir / "pg.toml"
        config.write_text(PG_CONFIG.format(dir=d.dir, url=pg_url(server, src)))
        d.run(["backup", "run", "erp-pg", "--json"], "backup-list.schema.json", config=config)
        d.run(["backup", "verify", "--latest", "--target", "erp-pg", "--deep", "--json"], "backup-verify.schema.json",
              config=config)
        ids = [b["id"] for b in json.loads(d.run(["backup", "list", "--target", "erp-pg", "--json"], config=config))]
        if not ids:
            raise Setup("backup run made no backup of erp-pg")
        d.run(["backup", "show", ids[-1], "--json"], "backup-show.schema.json", config=config)
        d.run(["backup", "restore", ids[-1], "--to", pg_url(server, dst), "--json"], "backup-restore.schema.json",
              config=config)
        d.run(["inspect", "run", "--check", "erp-pg", "--format", "json"], "inspect-run.schema.json", config=config)
    finally:
        for db in (src, dst):
            subprocess.run(["psql", "-X", "-q", "-d", pg_url(server, "postgres"), "-c",
                            f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"], capture_output=True, timeout=60)


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    binary, schema_dir = Path(argv[1]).resolve(), Path(argv[2]).resolve()
    if not os.access(binary, os.X_OK):
        print(f"FAIL: {binary} is not an executable", file=sys.stderr)
        return 1
    print(f"jsonschema {_version()}; schemas in {schema_dir}")

    schemas, problems = load_schemas(schema_dir)
    vocab_problems, note = check_vocabulary(schemas, schema_dir.parent.parent / "lib" / "model" / "vocabulary.hpp")
    problems += vocab_problems
    if note:
        print(note)
    validators = make_validators(schemas)

    work = Path(tempfile.mkdtemp(prefix="opsdesk-json-"))
    desk = Desk(binary, schemas, validators, work)
    aborted = None
    try:
        story(desk, f"opsdesk-schema-test-worker-{os.getpid()}")
    except Setup as e:
        aborted = str(e)
    except subprocess.TimeoutExpired as e:
        aborted = f"{e.cmd} timed out"
    finally:
        if os.environ.get("KEEP_DESK"):
            print(f"desk kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    # Stale schemas: every file must be the schema of a command, or be referred to by one that is.
    used = set(desk.used)
    pending = list(used)
    while pending:
        name = pending.pop()
        for other in referenced_files(schemas.get(name, {})):
            if other not in used:
                used.add(other)
                pending.append(other)
    stale = [] if aborted else sorted(set(schemas) - used)
    missing_refs = sorted(r for s in schemas.values() for r in referenced_files(s) if r not in schemas)

    for line in problems:
        print(f"FAIL  {line}")
    for ref in missing_refs:
        print(f"FAIL  a schema refers to {ref}, which is not in {schema_dir}")
    for command, schema, lines in desk.failures:
        print(f"FAIL  {command}\n      schema: docs/json/{schema}")
        for line in lines:
            print(f"      {line}")
    for name in stale:
        print(f"FAIL  docs/json/{name} is stale: no command's output is checked against it, nor is it referred to by "
              f"a schema that is (map a command to it in tests/json/check_schemas.py, or remove it)")
    if aborted:
        print(f"FAIL  the test desk could not be built; a command failed:\n      {aborted}")

    bad = len(problems) + len(missing_refs) + len(desk.failures) + len(stale) + (1 if aborted else 0)
    checked = sum(len(v) for v in desk.used.values())
    print(f"{len(schemas)} schemas, {desk.ran} opsdesk commands run, {checked} outputs validated against "
          f"{len(desk.used)} schemas")
    print(f"{checked - len(desk.failures)} passed, {bad} failed")
    return 1 if bad else 0


def _version():
    try:
        from importlib.metadata import version
        return version("jsonschema")
    except Exception:
        return getattr(jsonschema, "__version__", "?")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
