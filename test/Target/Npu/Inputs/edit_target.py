"""Reads a target description, changes fields, writes it elsewhere.

    edit_target.py IN OUT key=value ...   (key: a top-level field, or
    buffers.l0a.size etc.; value: JSON, or "half" to halve a number)
"""
import json
import sys

desc = json.load(open(sys.argv[1]))
for edit in sys.argv[3:]:
    key, value = edit.split("=", 1)
    *path, last = key.split(".")
    node = desc
    for part in path:
        node = node[part]
    if value == "half":
        node[last] //= 2
    elif value == "delete":
        del node[last]
    else:
        node[last] = json.loads(value)
json.dump(desc, open(sys.argv[2], "w"), indent=2)
