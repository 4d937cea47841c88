"""Reading a README's guide as a user follows it: its fenced blocks and the files they introduce."""

from __future__ import annotations

import re
from collections.abc import Iterable

# A paragraph ending with a colon introduces its block; the first file name of its last sentence
# is the block's file ("`stripes.py`:", "and `configs/callbacks/with_print.yaml`, the ...:").
_FILE_NAME = re.compile(r"`(?P<path>[\w./-]+\.(?:py|yaml|yml|toml|json|cfg|txt))`")


def fenced_blocks(text: str) -> list[tuple[str, str, str]]:
    """``(language, code, the paragraph right before the block)`` of every fenced block of ``text``."""
    blocks, lines, index = [], text.splitlines(), 0
    while index < len(lines):
        match = re.match(r"^```(\w*)\s*$", lines[index])
        if not match:
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
        last = index
        while last > 0 and not lines[last - 1].strip():
            last -= 1
        start = last
        while start > 0 and lines[start - 1].strip() and not lines[start - 1].startswith("```"):
            start -= 1
        blocks.append((match.group(1), "\n".join(lines[index + 1:end]) + "\n", " ".join(lines[start:last])))
        index = end + 1
    return blocks


def introduced_files(text: str, languages: Iterable[str] = ("python", "yaml", "toml")) -> dict[str, str]:
    """``{path: content}`` of the blocks in ``languages`` that a paragraph ending with a colon
    introduces by a file name in its last sentence ("Then `configs/data/stripes.yaml`:")."""
    files = {}
    for language, code, before in fenced_blocks(text):
        intro = before.strip()
        match = _FILE_NAME.search(intro.rsplit(". ", 1)[-1]) if intro.endswith(":") else None
        if language in languages and match:
            files[match.group("path")] = code
    return files
