"""The ``cablegate`` command line."""

from __future__ import annotations

import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.console import Console

from cablegate.errors import ReadError
from cablegate.model import Cable
from cablegate.readers.collect import Skipped, read_paths

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Turn a raw dump of diplomatic cables into a published, searchable archive.",
)
err = Console(stderr=True)


@app.callback()
def _main() -> None:
    """Turn a raw dump of diplomatic cables into a published, searchable archive."""


class OutputFormat(StrEnum):
    json = "json"
    jsonl = "jsonl"


def _select(record: dict, fields: list[str] | None) -> dict:
    if not fields:
        return record
    unknown = [f for f in fields if f not in Cable.__struct_fields__]
    if unknown:
        raise typer.BadParameter(
            f"unknown field(s): {', '.join(unknown)}; known: {', '.join(Cable.__struct_fields__)}"
        )
    return {f: record.get(f) for f in fields}


@app.command()
def parse(
    paths: Annotated[list[Path], typer.Argument(help="Files, folders or archives of cables.")],
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="json or jsonl")] = (
        OutputFormat.jsonl
    ),
    fields: Annotated[
        str | None,
        typer.Option(
            "--fields", help="Comma-separated fields to print, e.g. canonical_id,subject,tags"
        ),
    ] = None,
) -> None:
    """Parse cables in any format and print them as JSON records."""
    wanted = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
    if wanted:
        _select({}, wanted)  # fail early on unknown field names
    encoder = msgspec.json.Encoder()
    out = sys.stdout.buffer
    counts = {"cables": 0, "errors": 0, "skipped": 0}
    started = time.perf_counter()
    first = True
    if output is OutputFormat.json:
        out.write(b"[")
    for item in read_paths(paths):
        if isinstance(item, ReadError):
            counts["errors"] += 1
            err.print(f"[red]error[/red] {item}", highlight=False)
            continue
        if isinstance(item, Skipped):
            counts["skipped"] += 1
            continue
        counts["cables"] += 1
        record = _select(msgspec.to_builtins(item), wanted)
        data = encoder.encode(record)
        if output is OutputFormat.json:
            out.write(data if first else b",\n" + data)
        else:
            out.write(data + b"\n")
        first = False
    if output is OutputFormat.json:
        out.write(b"]\n")
    out.flush()
    elapsed = time.perf_counter() - started
    err.print(
        f"{counts['cables']} cables, {counts['errors']} errors, "
        f"{counts['skipped']} non-cable files skipped in {elapsed:.1f} s",
        highlight=False,
    )
    if counts["errors"] and not counts["cables"]:
        raise typer.Exit(1)


@app.command()
def demo(
    out: Annotated[Path, typer.Argument(help="Folder to write the demo cables to.")],
    count: Annotated[int, typer.Option(help="How many cables.")] = 60,
) -> None:
    """Write a small invented demo collection (for machines without the real corpus)."""
    from cablegate.demo import write_demo

    paths = write_demo(out, count)
    err.print(f"wrote {len(paths)} demo cables to {out}", highlight=False)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
