"""Mutated EIP-4361 messages: valid messages with lines swapped, dropped or duplicated, tags re-cased,
CR, Unicode separators, NUL and bidi controls inserted, values replaced by edge cases. Deterministic for a
given seed."""

import random
from collections.abc import Iterator

# Characters and fragments the parser's decisions hinge on.
ALPHABET = [
    *"aZ09:/@%[].-_~!$&'()*+,;=?# \"<>{}|\\^`",
    "\n", "\r", "\t", "\x00", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\u202e", "\ufeff", "é",
    "\n- ", "%41", "%4", "::", "[::1]", "T", "t", "Z", "z", "+00:60", "-00:00", "60", "\n\n",
]  # fmt: skip
TAGS = ["URI: ", "Version: ", "Chain ID: ", "Nonce: ", "Issued At: ", "Expiration Time: ", "Not Before: ",
        "Request ID: ", "Resources:"]  # fmt: skip
VALUES = [
    "", "0", "01", "-1", "1e3", "1" * 80, "2021-02-29T00:00:00Z", "2021-13-01T00:00:00Z", "2021-01-01T24:00:00Z",
    "2021-01-01T00:00:60Z", "2021-01-01t00:00:00z", "2021-01-01T00:00:00+23:59", "2021-01-01T00:00:00.123456789Z",
    "0xe5a12547fe4e872d192e3ececb76f2ce1aea4946", "0XE5A12547fe4E872D192E3eCecb76F2Ce1aeA4946", "a" * 7, "a" * 600,
    "https://[::ffff:1.2.3.4]:8/p?q#f", "urn:x", "a:", "//no-scheme", "http://a b", "[v1.x]", "user:pw@host:1",
    "x" * 9000, "https://e.com/" + "a/" * 3000, "2" * 4400,
]  # fmt: skip


def _edit(rng: random.Random, text: str) -> str:
    kind = rng.randrange(9)
    position = rng.randrange(len(text) + 1)
    if kind <= 2:
        return text[:position] + rng.choice(ALPHABET) + text[position:]
    if kind == 3:
        return text[:position] + text[position + 1 :]
    if kind == 4:
        return text[:position] + rng.choice(ALPHABET) + text[position + 1 :]
    lines = text.split("\n")
    first, second = rng.randrange(len(lines)), rng.randrange(len(lines))
    if kind == 5:
        lines[first], lines[second] = lines[second], lines[first]
    elif kind == 6:
        lines.insert(first, lines[second])
    elif kind == 7:
        del lines[first]
    else:
        line = lines[first]
        tag = next((tag for tag in TAGS if line.startswith(tag)), None)
        if tag is None:
            lines[first] = rng.choice(VALUES)
        elif rng.random() < 0.5:
            lines[first] = rng.choice([tag.upper(), tag.lower(), tag.replace(" ", "")]) + line[len(tag) :]
        else:
            lines[first] = tag + rng.choice(VALUES)
    return "\n".join(lines)


def mutants(seeds: list[str], count: int, seed: int) -> Iterator[str]:
    """`count` messages, each a random seed message with one to three edits."""
    rng = random.Random(seed)
    for _ in range(count):
        text = rng.choice(seeds)
        for _ in range(rng.randint(1, 3)):
            text = _edit(rng, text)
        yield text
