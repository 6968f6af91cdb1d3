#!/usr/bin/env python3
"""Checks the shape of src/ that the compiler cannot: arrows point down, sizes stay small.

- An include points only to the same folder or a layer below (see src/domain/README.md).
- domain/ never includes jansson, libmicrohttpd or libcurl.
- No .c file over 900 lines, no function over 80 lines.
- No strcmp on a status, role or mode in domain/: states are enums (a name table's own
  lookup, `strcmp(x_names[i], ...)`, is where names become enums and is allowed).
Prints each breach and exits 1 when there is one.
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src')

# Each folder with the folders it may include from (besides itself).
TOP_LAYERS = {
    'core': set(),
    'db': {'core'},
    'http': {'core'},
    'sandbox': {'core'},
    'mail': {'core', 'db'},
    'payment': {'core', 'db', 'http'},
    'media': {'core'},
    'domain': {'core', 'db', 'mail', 'sandbox', 'payment'},
    'api': {'core', 'db', 'http', 'mail', 'sandbox', 'domain', 'payment', 'media'},
    'cli': {'core', 'db', 'http', 'mail', 'sandbox', 'domain', 'api', 'payment', 'media'},
}
DOMAIN_ORDER = ['audit', 'directory', 'identity', 'counsel', 'facility', 'ledger', 'contacts', 'messaging', 'oversight', 'visits', 'privacy', 'retention', 'operations']
FORBIDDEN_IN_DOMAIN = ('jansson.h', 'microhttpd.h', 'curl/curl.h')
MAX_FILE_LINES = 900
MAX_FUNCTION_LINES = 80
STATE_WORDS = re.compile(r'strcmp\([^;]*(status|role|direction|"active"|"pending"|"released"|"blocked"|'
                         r'"delivered"|"approved"|"rejected"|"read"|"hold"|"flag"|"words"|"pattern"|'
                         r'"watch_email"|"watch_resident"|"flagged_only"|"resident_or_window"|"stamps"|'
                         r'"resident_invites"|"contact_requests"|"number_or_name"|"to_resident"|"from_resident")')


def folder_of(rel):
    parts = rel.split('/')
    if parts[0] == 'domain':
        return ('domain', parts[1] if len(parts) > 2 else None)
    return (parts[0], None)


def check_include(rel, target, breaches):
    top, ctx = folder_of(rel)
    ttop, tctx = folder_of(target)
    if ttop == top:
        if top == 'domain' and ctx is not None and tctx is not None and ctx != tctx:
            if DOMAIN_ORDER.index(tctx) > DOMAIN_ORDER.index(ctx):
                breaches.append(f'{rel}: includes {target}, a context above it')
        elif top == 'domain' and ctx is None and tctx is not None:
            breaches.append(f'{rel}: domain/ root includes a context ({target})')
        return
    if ttop not in TOP_LAYERS.get(top, set()):
        breaches.append(f'{rel}: includes {target}, which {top}/ may not call')


def function_lengths(lines):
    """(name, first line, length) of each top-level function body."""
    start = None
    name = ''
    for i, line in enumerate(lines):
        if line == '{' and start is None:
            j = i - 1
            while j > 0 and '(' not in lines[j]:
                j -= 1
            start, name = i, lines[j].strip()
        elif line == '}' and start is not None:
            yield name, start + 1, i - start + 1
            start = None


def main():
    breaches = []
    for dirpath, _, files in os.walk(ROOT):
        for f in sorted(files):
            if not f.endswith(('.c', '.h')):
                continue
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, ROOT)
            with open(path, encoding='utf-8') as fh:
                text = fh.read()
            lines = text.split('\n')
            for m in re.finditer(r'^#include [<"]([^>"]+)[>"]', text, re.M):
                target = m.group(1)
                if rel.startswith('domain/') and target in FORBIDDEN_IN_DOMAIN:
                    breaches.append(f'{rel}: domain/ includes {target}')
                if '/' in target and target.split('/')[0] in TOP_LAYERS and m.group(0).endswith('"'):
                    check_include(rel, target, breaches)
            if not f.endswith('.c'):
                continue
            if len(lines) - 1 > MAX_FILE_LINES:
                breaches.append(f'{rel}: {len(lines) - 1} lines (at most {MAX_FILE_LINES})')
            for name, line, length in function_lengths(lines):
                if length > MAX_FUNCTION_LINES:
                    breaches.append(f'{rel}:{line}: {name[:60]} is {length} lines (at most {MAX_FUNCTION_LINES})')
            if rel.startswith('domain/'):
                for n, line in enumerate(lines, 1):
                    if STATE_WORDS.search(line) and '_names[' not in line:
                        breaches.append(f'{rel}:{n}: strcmp on a state: {line.strip()[:80]}')
    for b in breaches:
        print(b)
    print(f'structure: {len(breaches)} breaches')
    return 1 if breaches else 0


if __name__ == '__main__':
    sys.exit(main())
