#!/usr/bin/env python3
"""Compare the schema of a SQLite store with that of a PostgreSQL store.

The two engines get their schema from two lists of steps (src/db/migrations.c
and src/db/migrations_pg.c) that must end in the same place; this is the check
that they do.  For every table it compares what the C code can tell apart:
the columns by name and in order, NOT NULL, DEFAULT, the primary key, the
UNIQUE constraints, the REFERENCES, the CHECKs, and every CREATE INDEX (by
name: unique or not, its keys, its WHERE).  Type names are not compared as
such, since they differ by design; each PostgreSQL column is checked against
the mapping instead: INTEGER is bigint (the C code reads every integer as
int64), TEXT is text COLLATE "C" (bytewise order, as in SQLite), BLOB is bytea,
REAL is double precision.

Two engine differences are read away rather than reported:
- SQLite lets a column of a non-INTEGER primary key hold NULL; PostgreSQL
  never does.  A key column counts as NOT NULL on both sides.
- PostgreSQL prints expressions its own way ("(status)::text = 'x'::text"),
  so defaults, CHECKs, index keys and WHERE clauses are compared after
  dropping casts, COLLATE clauses, parentheses, white space and case.

Usage: compare-schemas.py [--ignore-table NAME]... SQLITE_FILE PG_CONNINFO
PG_CONNINFO is anything psql -d accepts (a postgresql:// URL, or
"host=... port=... dbname=...").  Only the standard library is used; the
PostgreSQL side is read with one psql call.  Prints one line and exits 0 when
the schemas agree; prints each difference and exits 1 when they do not;
exits 2 when a store cannot be read.
"""

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import urllib.parse

TYPE_MAP = {"INTEGER": ("bigint", None), "TEXT": ("text", "C"), "BLOB": ("bytea", None),
            "REAL": ("double precision", None)}
# The full-text index of messages: on SQLite it is the virtual table message_search (migration 22).
PG_ONLY_INDEXES = {"messages_search"}
PG_TYPES = r"(?:bigint|integer|smallint|text|bytea|boolean|numeric|double precision|real|character varying)"


def fail(why):
    print(f"compare-schemas: {why}", file=sys.stderr)
    sys.exit(2)


def norm(expr):
    """An expression written by hand (SQLite keeps it as written) or printed by PostgreSQL, in one form."""
    if expr is None:
        return None
    s = expr.lower()
    s = re.sub(r"::\s*" + PG_TYPES + r"(\[\])?", "", s)
    s = re.sub(r'\s+collate\s+("[^"]*"|\w+)', "", s)
    s = s.replace("!=", "<>")
    s = re.sub(r"[\s()]+", "", s)
    return s


def split_top(text, sep=","):
    """Split on sep where not inside parentheses or quotes."""
    parts, depth, cur, quote = [], 0, [], None
    for ch in text:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return parts


def balanced(text, start):
    """The text inside the parentheses opening at text[start], and the index after them."""
    depth, quote = 0, None
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return text[start + 1:i], i + 1
    raise ValueError("unbalanced parentheses in: " + text)


def sqlite_checks(create_sql):
    """The CHECK expressions of a CREATE TABLE, which SQLite keeps only in its text."""
    out, i = [], 0
    masked = re.sub(r"'[^']*'", lambda m: "_" * len(m.group(0)), create_sql)  # no CHECK inside a literal
    for m in re.finditer(r"\bcheck\s*\(", masked, re.IGNORECASE):
        if m.start() < i:
            continue
        body, i = balanced(create_sql, m.end() - 1)
        out.append(norm(body))
    return sorted(out)


def sqlite_index_parts(create_sql):
    """The keys and WHERE of a CREATE INDEX, as written."""
    m = re.search(r"\bon\s+\"?\w+\"?\s*\(", create_sql, re.IGNORECASE)
    keys, end = balanced(create_sql, m.end() - 1)
    keys = [re.sub(r"\s+(asc|desc)$", "", k, flags=re.IGNORECASE) for k in split_top(keys)]
    where = re.match(r"\s*where\s+(.*)$", create_sql[end:], re.IGNORECASE | re.DOTALL)
    return [norm(k) for k in keys], norm(where.group(1)) if where else None


def read_sqlite(path):
    try:
        con = sqlite3.connect("file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro", uri=True)
        # Ordinary tables only: FTS5's virtual table and its shadow tables are SQLite's way to the
        # search that PostgreSQL's GIN index serves (PG_ONLY_INDEXES).
        tables = con.execute("SELECT m.name, m.sql FROM sqlite_master m JOIN pragma_table_list l"
                             " ON l.name = m.name AND l.schema = 'main' AND l.type = 'table'"
                             " WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").fetchall()
    except sqlite3.Error as e:
        fail(f"cannot read {path}: {e}")
    if not tables:
        fail(f"{path} has no tables")
    model = {}
    for name, create_sql in tables:
        cols = con.execute(f'PRAGMA table_info("{name}")').fetchall()
        pk = [c[1] for c in sorted((c for c in cols if c[5] > 0), key=lambda c: c[5])]
        t = {
            "columns": [(c[1], bool(c[3]) or c[1] in pk, norm(c[4])) for c in cols],
            "pk": pk,
            "unique": [],
            "indexes": {},
            "fks": [],
            "checks": sqlite_checks(create_sql),
            "types": {c[1]: c[2].upper() for c in cols},
        }
        for _, iname, unique, origin, _partial in con.execute(f'PRAGMA index_list("{name}")'):
            if origin == "pk":
                continue
            if origin == "u":
                keys = [r[2] for r in con.execute(f'PRAGMA index_info("{iname}")')]
                t["unique"].append(keys)
                continue
            (isql,) = con.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?",
                                  (iname,)).fetchone()
            keys, where = sqlite_index_parts(isql)
            t["indexes"][iname] = (bool(unique), keys, where)
        fks = {}
        for fid, _seq, ftable, frm, to, *_ in con.execute(f'PRAGMA foreign_key_list("{name}")'):
            fks.setdefault(fid, (ftable, [], []))
            fks[fid][1].append(frm)
            fks[fid][2].append(to)
        for ftable, frm, to in fks.values():
            if None in to:  # REFERENCES t with no columns: t's primary key
                to = [c[1] for c in sorted((c for c in con.execute(f'PRAGMA table_info("{ftable}")') if c[5] > 0),
                                           key=lambda c: c[5])]
            t["fks"].append((frm, ftable, to))
        model[name] = t
    con.close()
    return model


PG_QUERY = r"""
WITH rel AS (
  SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p'))
SELECT json_build_object(
 'columns', (SELECT json_agg(json_build_object('table', r.relname, 'name', a.attname, 'notnull', a.attnotnull,
                                               'default', pg_get_expr(d.adbin, d.adrelid),
                                               'type', format_type(a.atttypid, a.atttypmod),
                                               'collation', (SELECT collname FROM pg_collation WHERE oid = a.attcollation))
                                     ORDER BY r.relname, a.attnum)
             FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE a.attnum > 0 AND NOT a.attisdropped),
 'indexes', (SELECT json_agg(json_build_object('table', r.relname, 'name', i.relname, 'unique', x.indisunique,
                'constraint', EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid
                                      AND k.conrelid = x.indrelid AND k.contype IN ('p', 'u')),
                'where', pg_get_expr(x.indpred, x.indrelid, true),
                'keys', (SELECT json_agg(pg_get_indexdef(x.indexrelid, g, true) ORDER BY g)
                         FROM generate_series(1, x.indnkeyatts) g)))
             FROM rel r JOIN pg_index x ON x.indrelid = r.oid JOIN pg_class i ON i.oid = x.indexrelid),
 'constraints', (SELECT json_agg(json_build_object('table', r.relname, 'type', k.contype,
                    'def', pg_get_constraintdef(k.oid, true), 'ftable', f.relname,
                    'cols', (SELECT json_agg(a.attname ORDER BY u.o) FROM unnest(k.conkey) WITH ORDINALITY u(n, o)
                             JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n),
                    'fcols', (SELECT json_agg(a.attname ORDER BY u.o) FROM unnest(k.confkey) WITH ORDINALITY u(n, o)
                              JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n)))
                 FROM rel r JOIN pg_constraint k ON k.conrelid = r.oid LEFT JOIN pg_class f ON f.oid = k.confrelid)
)
"""


def read_pg(conninfo):
    try:
        run = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-c", PG_QUERY],
                             capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        fail(f"cannot run psql: {e}")
    if run.returncode != 0:
        fail(f"psql failed: {run.stderr.strip()}")
    data = json.loads(run.stdout)
    model = {}
    for c in data["columns"] or []:
        t = model.setdefault(c["table"], {"columns": [], "pk": [], "unique": [], "indexes": {}, "fks": [], "checks": [],
                                             "types": {}})
        t["columns"].append([c["name"], c["notnull"], norm(c["default"])])
        t["types"][c["name"]] = (c["type"], c["collation"] if c["collation"] != "default" else None)
    for k in data["constraints"] or []:
        t = model[k["table"]]
        if k["type"] == "p":
            t["pk"] = k["cols"]
        elif k["type"] == "u":
            t["unique"].append(k["cols"])
        elif k["type"] == "f":
            t["fks"].append((k["cols"], k["ftable"], k["fcols"]))
        elif k["type"] == "c":
            t["checks"].append(norm(re.sub(r"^\s*CHECK\s*", "", k["def"])))
    for x in data["indexes"] or []:
        if x["name"] in PG_ONLY_INDEXES:
            continue
        if x["constraint"]:
            continue
        model[x["table"]]["indexes"][x["name"]] = (x["unique"], [norm(k) for k in x["keys"]], norm(x["where"]))
    for t in model.values():
        t["columns"] = [tuple(c) for c in t["columns"]]
        t["checks"].sort()
    return model


def pg_type(t):
    return t[0] + (f' COLLATE "{t[1]}"' if t[1] else "")


def compare(lite, pg, ignored):
    diffs = []
    for name in sorted(set(lite) | set(pg)):
        if name in ignored:
            continue
        if name not in pg:
            diffs.append(f"{name}: a table in SQLite only")
            continue
        if name not in lite:
            diffs.append(f"{name}: a table in PostgreSQL only")
            continue
        a, b = lite[name], pg[name]
        an, bn = [c[0] for c in a["columns"]], [c[0] for c in b["columns"]]
        if an != bn:
            diffs.append(f"{name}: columns differ: SQLite {an}, PostgreSQL {bn}")
        bcols = {c[0]: c for c in b["columns"]}
        for col, notnull, default in a["columns"]:
            if col not in bcols:
                continue
            _, pnotnull, pdefault = bcols[col]
            if notnull != pnotnull:
                diffs.append(f"{name}.{col}: NOT NULL in {'SQLite' if notnull else 'PostgreSQL'} only")
            if default != pdefault:
                diffs.append(f"{name}.{col}: DEFAULT {default} in SQLite, {pdefault} in PostgreSQL")
            want = TYPE_MAP.get(a["types"][col])
            have = b["types"][col]
            if want is None:
                diffs.append(f"{name}.{col}: SQLite type {a['types'][col]!r} has no PostgreSQL mapping here")
            elif have != want:
                diffs.append(f"{name}.{col}: {a['types'][col]} should be {pg_type(want)} in PostgreSQL,"
                             f" not {pg_type(have)}")
        if a["pk"] != b["pk"]:
            diffs.append(f"{name}: PRIMARY KEY {a['pk']} in SQLite, {b['pk']} in PostgreSQL")
        for what, label in (("unique", "UNIQUE"), ("fks", "REFERENCES"), ("checks", "CHECK")):
            sa = sorted(json.dumps(v) for v in a[what])
            sb = sorted(json.dumps(v) for v in b[what])
            for v in sa:
                if v in sb:
                    sb.remove(v)
                else:
                    diffs.append(f"{name}: {label} {v} in SQLite only")
            for v in sb:
                diffs.append(f"{name}: {label} {v} in PostgreSQL only")
        for iname in sorted(set(a["indexes"]) | set(b["indexes"])):
            ia, ib = a["indexes"].get(iname), b["indexes"].get(iname)
            if ia is None or ib is None:
                diffs.append(f"{name}: index {iname} in {'PostgreSQL' if ia is None else 'SQLite'} only")
            elif tuple(ia) != tuple(ib):
                diffs.append(f"{name}: index {iname} is (unique, keys, where) {list(ia)} in SQLite,"
                             f" {list(ib)} in PostgreSQL")
    return diffs


def main():
    ap = argparse.ArgumentParser(description="Compare a SQLite store's schema with a PostgreSQL store's.")
    ap.add_argument("--ignore-table", action="append", default=[], metavar="NAME",
                    help="leave this table out (e.g. schema_migrations when the steps were applied by hand)")
    ap.add_argument("sqlite_file")
    ap.add_argument("pg_conninfo")
    args = ap.parse_args()
    lite = read_sqlite(args.sqlite_file)
    pg = read_pg(args.pg_conninfo)
    diffs = compare(lite, pg, set(args.ignore_table))
    if diffs:
        print("\n".join(diffs))
        print(f"compare-schemas: {len(diffs)} difference(s)", file=sys.stderr)
        return 1
    print(f"compare-schemas: {len(set(lite) - set(args.ignore_table))} tables alike")
    return 0


if __name__ == "__main__":
    sys.exit(main())
