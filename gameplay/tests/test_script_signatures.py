"""Each Lua script's KEYS and ARGV, as its header declares them, against the Signature the
Python that calls it orders its values by (gameplay/scripts.py).

A slot read by the script but passed by no caller, or passed under another name than the
script reads it by, would be a value in the wrong place: a wrong key written, a TTL taken
for a habit id. Plain text reading, no Redis needed.
"""

import re

import pytest

from gameplay import scripts

SLOT_DECLARED = re.compile(r"^-- (KEYS|ARGV)\[(\d+)\] (\w+): \S")
SLOT_READ = re.compile(r"\b(KEYS|ARGV)\[(\d+)\]")


def header(name: str) -> str:
    """The comment lines a script begins with (after its shebang)."""
    lines = (scripts.LUA_DIR / f"{name}.lua").read_text().splitlines()
    if lines and lines[0].startswith("#!"):
        lines = lines[1:]
    return "\n".join(line for line in _leading_comments(lines))


def _leading_comments(lines: list[str]):
    for line in lines:
        if not line.startswith("--"):
            return
        yield line


def declared(name: str, slot: str) -> list[tuple[int, str]]:
    """(number, name) of each slot the header declares, in the order written."""
    found = [SLOT_DECLARED.match(line) for line in header(name).splitlines()]
    return [(int(m[2]), m[3]) for m in found if m and m[1] == slot]


def code(name: str) -> str:
    """The script Redis runs (prelude included), without its comments."""
    return "\n".join(line.split("--", 1)[0] for line in scripts.source(name).splitlines())


def full_declaration(name: str, slot: str) -> list[tuple[int, str]]:
    signature = scripts.SIGNATURES[name]
    prelude = declared("prelude", slot) if signature.prelude else []
    habits = declared("habits", slot) if signature.habits else []
    return prelude + habits + declared(name, slot)


@pytest.mark.parametrize("name", sorted(scripts.SIGNATURES))
@pytest.mark.parametrize("slot", ["KEYS", "ARGV"])
def test_the_header_names_the_slots_in_the_callers_order(name: str, slot: str) -> None:
    signature = scripts.SIGNATURES[name]
    names = signature.keys if slot == "KEYS" else signature.args
    declaration = full_declaration(name, slot)

    # Numbered 1, 2, 3 ... with no gap or repeat, and the same names in the same order.
    assert [number for number, _ in declaration] == list(range(1, len(names) + 1))
    assert tuple(n for _, n in declaration) == names


@pytest.mark.parametrize("name", sorted(scripts.SIGNATURES))
@pytest.mark.parametrize("slot", ["KEYS", "ARGV"])
def test_the_script_reads_every_declared_slot_and_no_other(name: str, slot: str) -> None:
    signature = scripts.SIGNATURES[name]
    count = len(signature.keys if slot == "KEYS" else signature.args)
    read = {int(number) for kind, number in SLOT_READ.findall(code(name)) if kind == slot}

    assert read == set(range(1, count + 1))


def test_every_script_in_the_folder_has_a_signature() -> None:
    on_disk = {path.stem for path in scripts.LUA_DIR.glob("*.lua")} - {"prelude", "habits"}

    assert on_disk == set(scripts.SIGNATURES)


@pytest.mark.parametrize("name", sorted(scripts.SIGNATURES))
def test_every_script_redis_runs_starts_with_the_lua_shebang(name: str) -> None:
    # Without it Redis applies none of the script-flags rules (declared keys, one slot,
    # no-writes, allow-oom); an action script's text starts with the prelude's.
    first_line = scripts.source(name).splitlines()[0]

    assert first_line.split()[0] == "#!lua"
