#!/usr/bin/env python3
"""Turns a file into a C source defining `const char NAME[]` and `const size_t NAME_len`."""
import sys

name, src, dst = sys.argv[1:4]
data = open(src, 'rb').read()
with open(dst, 'w') as out:
    out.write('#include <stddef.h>\n')
    out.write(f'const char {name}[] = {{\n')
    for i in range(0, len(data), 16):
        out.write('  ' + ''.join(f'{b},' for b in data[i:i + 16]) + '\n')
    out.write('  0\n};\n')
    out.write(f'const size_t {name}_len = {len(data)};\n')
