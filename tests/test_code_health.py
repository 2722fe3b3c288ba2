"""Rules of the code's layout that a reviewer would otherwise have to remember: every query
lives in the archive layer, and nothing outside it reaches for the database connection."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "cablegate"
ARCHIVE = SRC / "archive"
_SQL = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX)"
    r"|DROP\s+(TABLE|INDEX)|ALTER\s+TABLE|PRAGMA\s+\w+|BEGIN(\s+IMMEDIATE)?;?$)",
    re.S,
)


def _modules_outside_the_archive() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if ARCHIVE not in p.parents]


def test_no_sql_outside_the_archive_layer() -> None:
    found = []
    for path in _modules_outside_the_archive():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and _SQL.search(text):
                found.append(f"{path.relative_to(SRC)}:{node.lineno}: {text[:60]!r}")
    assert not found, "SQL outside cablegate.archive:\n" + "\n".join(found)


def test_nothing_outside_the_archive_layer_uses_its_connection() -> None:
    found = []
    for path in _modules_outside_the_archive():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in {"conn", "execute", "executemany"}:
                found.append(f"{path.relative_to(SRC)}:{node.lineno}: .{node.attr}")
    assert not found, "database access outside cablegate.archive:\n" + "\n".join(found)


def test_the_rule_finds_what_it_looks_for() -> None:
    """The patterns above match the statements this code base writes (so the tests above
    cannot pass by matching nothing)."""
    for sql in (
        "SELECT canonical_id FROM cables ORDER BY id",
        "DELETE FROM quarantine WHERE id = ?",
        "UPDATE quarantine SET error = ?",
        "INSERT INTO meta (key, value) VALUES (?, ?)",
        "PRAGMA journal_mode = WAL",
    ):
        assert _SQL.search(sql), sql
    assert not _SQL.search("Select the cables you want from the list")


LAYERS = {
    "parse": {"cablegate.readers", "cablegate.archive", "cablegate.search", "cablegate.site"},
    "readers": {"cablegate.archive", "cablegate.search", "cablegate.site", "cablegate.exports"},
    "archive": {"cablegate.readers", "cablegate.search", "cablegate.site", "cablegate.ingest"},
    "search": {"cablegate.site", "cablegate.readers", "cablegate.ingest"},
}
"""What each layer of the pipeline (readers -> parse -> archive -> search -> site) must not
import: only the layers before it."""


def test_each_layer_imports_only_the_layers_before_it() -> None:
    found = []
    for folder, banned in LAYERS.items():
        for path in (SRC / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                for name in names:
                    if any(name == b or name.startswith(b + ".") for b in banned):
                        found.append(f"{path.relative_to(SRC)}:{node.lineno}: {name}")
    assert not found, "imports against the pipeline's order:\n" + "\n".join(found)
