"""The Redis store's Lua scripts, one file each (package data), read once at import.

A file that defines functions for others (count_in.lua, session_family.lua) is put before the scripts that
call them by `script`; each file's first lines say what it takes (KEYS, ARGV) and what it answers.
"""

import functools
from importlib.resources import files


@functools.cache
def source(name: str) -> str:
    """The text of `<name>.lua`."""
    return files(__package__).joinpath(f"{name}.lua").read_text(encoding="utf-8")


def script(*parts: str) -> str:
    """One script made of these files, in order."""
    return "".join(source(name) for name in parts)
