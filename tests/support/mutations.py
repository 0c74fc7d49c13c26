"""Mutated EIP-4361 messages: valid messages with lines swapped, dropped or duplicated, tags re-cased,
CR, Unicode line separators, NUL and bidi controls inserted, values replaced by oversized or impossible ones.
Deterministic for a given seed.

Every kind of mutation in KINDS is applied at least once, and every character of LINE_SEPARATORS and
BIDI_CONTROLS inserted at least once, by forced mutants that come first (one edit of that kind alone); the
random mutants that follow combine one to three edits of any kind, or of single characters."""

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

LINE_SEPARATORS = ["\u2028", "\u2029", "\x85", "\x0b", "\x0c"]  # LS, PS, NEL, VT, FF
# LRE, RLE, PDF, LRO, RLO, then LRI, RLI, FSI, PDI
BIDI_CONTROLS = [*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))]
# Characters and fragments the parser's decisions hinge on.
ALPHABET = [
    *"aZ09:/@%[].-_~!$&'()*+,;=?# \"<>{}|\\^`",
    "\n", "\r", "\t", "\x00", *LINE_SEPARATORS, *BIDI_CONTROLS, "\ufeff", "é",
    "\n- ", "%41", "%4", "::", "[::1]", "T", "t", "Z", "z", "+00:60", "-00:00", "60", "\n\n",
]  # fmt: skip
TAGS = ["URI: ", "Version: ", "Chain ID: ", "Nonce: ", "Issued At: ", "Expiration Time: ", "Not Before: ",
        "Request ID: ", "Resources:"]  # fmt: skip
DATE_TAGS = ["Issued At: ", "Expiration Time: ", "Not Before: "]
IMPOSSIBLE_DATES = [
    "2021-02-29T00:00:00Z", "2021-13-01T00:00:00Z", "2021-00-10T00:00:00Z", "2021-04-31T00:00:00Z",
    "2021-01-01T24:00:00Z", "2021-01-01T00:60:00Z", "2021-01-01T00:00:61Z", "2021-01-01T00:00:00+24:00",
    "2021-01-01T00:00:00+00:60", "0000-00-00T00:00:00Z",
]  # fmt: skip
OVERSIZED = ["a" * 600, "x" * 9000, "https://e.com/" + "a/" * 3000, "2" * 4400, "1" * 80]
VALUES = [
    "", "0", "01", "-1", "1e3", "2021-01-01t00:00:00z", "2021-01-01T00:00:00+23:59", "2021-01-01T00:00:00.123456789Z",
    "0xe5a12547fe4e872d192e3ececb76f2ce1aea4946", "0XE5A12547fe4E872D192E3eCecb76F2Ce1aeA4946", "a" * 7,
    "https://[::ffff:1.2.3.4]:8/p?q#f", "urn:x", "a:", "//no-scheme", "http://a b", "[v1.x]", "user:pw@host:1",
    "javascript:alert(1)", "data:text/html;base64,PHNjcmlwdD4=", "https://evil.example/phish",
    "https://localhost:8000@evil.example",
    *IMPOSSIBLE_DATES, *OVERSIZED,
]  # fmt: skip


@dataclass(frozen=True)
class Mutant:
    kinds: tuple[str, ...]  # the kinds of the edits that made it, in order
    text: str


Edit = Callable[[random.Random, str, str | None], str]  # (rng, text, forced variant or None) -> mutated text


def _insert(rng: random.Random, text: str, fragment: str) -> str:
    position = rng.randrange(len(text) + 1)
    return text[:position] + fragment + text[position:]


def _two_different_lines(rng: random.Random, lines: list[str]) -> tuple[int, int]:
    first = rng.randrange(len(lines))
    others = [index for index, line in enumerate(lines) if line != lines[first]]
    return first, rng.choice(others) if others else first


def _field_line(rng: random.Random, lines: list[str], tags: list[str]) -> int | None:
    candidates = [index for index, line in enumerate(lines) if any(line.startswith(tag) for tag in tags)]
    return rng.choice(candidates) if candidates else None


def swap_lines(rng: random.Random, text: str, _: str | None) -> str:
    lines = text.split("\n")
    first, second = _two_different_lines(rng, lines)
    lines[first], lines[second] = lines[second], lines[first]
    return "\n".join(lines)


def drop_line(rng: random.Random, text: str, _: str | None) -> str:
    lines = text.split("\n")
    del lines[rng.randrange(len(lines))]
    return "\n".join(lines)


def duplicate_line(rng: random.Random, text: str, _: str | None) -> str:
    lines = text.split("\n")
    index = _field_line(rng, lines, TAGS)
    if index is None or rng.random() < 0.3:
        index = rng.randrange(len(lines))
    lines.insert(rng.randrange(len(lines) + 1), lines[index])
    return "\n".join(lines)


def recase_tag(rng: random.Random, text: str, _: str | None) -> str:
    lines = text.split("\n")
    index = _field_line(rng, lines, TAGS)
    if index is None:
        return text
    tag = next(tag for tag in TAGS if lines[index].startswith(tag))
    variants = {tag.upper(), tag.lower(), tag.swapcase(), tag.replace(" ", ""), tag.replace(": ", " : ")} - {tag}
    recased = rng.choice(sorted(variants))
    lines[index] = recased + lines[index][len(tag) :]
    return "\n".join(lines)


def insert_cr(rng: random.Random, text: str, _: str | None) -> str:
    if rng.random() < 0.5:  # CRLF line ends, one or all
        newlines = [index for index, char in enumerate(text) if char == "\n"]
        if rng.random() < 0.5:
            return text.replace("\n", "\r\n")
        index = rng.choice(newlines)
        return text[:index] + "\r" + text[index:]
    return _insert(rng, text, "\r")


def _insert_or_replace_newline(rng: random.Random, text: str, char: str) -> str:
    if rng.random() < 0.5:
        newlines = [index for index, c in enumerate(text) if c == "\n"]
        index = rng.choice(newlines)
        return text[:index] + char + text[index + 1 :]
    return _insert(rng, text, char)


def insert_line_separator(rng: random.Random, text: str, forced: str | None) -> str:
    return _insert_or_replace_newline(rng, text, forced or rng.choice(LINE_SEPARATORS))


def insert_nul(rng: random.Random, text: str, _: str | None) -> str:
    return _insert_or_replace_newline(rng, text, "\x00")


def insert_bidi_control(rng: random.Random, text: str, forced: str | None) -> str:
    return _insert(rng, text, forced or rng.choice(BIDI_CONTROLS))


def _replace_value(rng: random.Random, text: str, tags: list[str], values: list[str], forced: str | None) -> str:
    lines = text.split("\n")
    index = _field_line(rng, lines, tags)
    value = forced if forced is not None else rng.choice(values)
    if index is None:  # the address line, or the statement
        index = rng.choice([1, 3])
        lines[index] = value
    else:
        tag = next(tag for tag in tags if lines[index].startswith(tag))
        lines[index] = tag + value
    return "\n".join(lines)


def oversize_field(rng: random.Random, text: str, forced: str | None) -> str:
    return _replace_value(rng, text, TAGS, OVERSIZED, forced)


def impossible_date(rng: random.Random, text: str, forced: str | None) -> str:
    return _replace_value(rng, text, DATE_TAGS, IMPOSSIBLE_DATES, forced)


def edge_value(rng: random.Random, text: str, _: str | None) -> str:
    return _replace_value(rng, text, TAGS, VALUES, None)


def edit_character(rng: random.Random, text: str, _: str | None) -> str:
    position = rng.randrange(len(text) + 1)
    choice = rng.randrange(5)
    if choice <= 2:
        return text[:position] + rng.choice(ALPHABET) + text[position:]
    if choice == 3:
        return text[:position] + text[position + 1 :]
    return text[:position] + rng.choice(ALPHABET) + text[position + 1 :]


KINDS: dict[str, Edit] = {
    "swap lines": swap_lines,
    "drop a line": drop_line,
    "duplicate a line": duplicate_line,
    "re-case a tag": recase_tag,
    "insert CR": insert_cr,
    "insert a line separator": insert_line_separator,
    "insert NUL": insert_nul,
    "insert a bidi control": insert_bidi_control,
    "oversize a field": oversize_field,
    "impossible date": impossible_date,
    "edge value": edge_value,
    "edit a character": edit_character,
}
# Each of these variants is forced once; every other kind once, without a variant.
FORCED_VARIANTS: dict[str, list[str]] = {
    "insert a line separator": LINE_SEPARATORS,
    "insert a bidi control": BIDI_CONTROLS,
    "oversize a field": OVERSIZED,
    "impossible date": IMPOSSIBLE_DATES,
}
# The random edits: character edits as often as all the line-level kinds together.
_WEIGHTED = [kind for kind in KINDS if kind != "edit a character"] + ["edit a character"] * (len(KINDS) - 1)


def labelled_mutants(seeds: list[str], count: int, seed: int) -> Iterator[Mutant]:
    """The forced mutants (one per kind, and per variant of FORCED_VARIANTS), then `count` random ones, each a
    random seed message with one to three edits."""
    rng = random.Random(seed)
    for kind, edit in KINDS.items():
        variants: list[str | None] = [*FORCED_VARIANTS.get(kind, [])] or [None]
        for variant in variants:
            source = rng.choice(seeds)
            text = edit(rng, source, variant)
            assert text != source, f"a forced {kind!r} mutant left its message unchanged"
            yield Mutant((kind,), text)
    for _ in range(count):
        text = rng.choice(seeds)
        kinds = tuple(rng.choice(_WEIGHTED) for _ in range(rng.randint(1, 3)))
        for kind in kinds:
            text = KINDS[kind](rng, text, None)
        yield Mutant(kinds, text)


def mutants(seeds: list[str], count: int, seed: int) -> Iterator[str]:
    """The texts of labelled_mutants()."""
    return (mutant.text for mutant in labelled_mutants(seeds, count, seed))
