"""The ``cablegate`` command line."""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import msgspec
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from typer.core import TyperGroup

from cablegate import __version__, logs, settings
from cablegate.archive import Archive, Change
from cablegate.archive.store import PRIVATE, PUBLIC, Visibility
from cablegate.errors import CablegateError, ReadError
from cablegate.ingest import Report
from cablegate.model import Cable
from cablegate.readers.collect import Skipped, read_paths

_opened: list[str] = []
"""The archives this command opened (as shown), to name in an error."""


class _Commands(TyperGroup):
    """Every command: a database found damaged half-way is one line naming it, not a
    traceback (as when it is found damaged on opening, see :func:`_open`)."""

    def invoke(self, ctx: Any) -> Any:  # a click Context
        try:
            return super().invoke(ctx)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError):
                raise  # a bug: its traceback helps
            where = _opened[-1] if _opened else "the archive"
            err.print(f"[red]error[/red] {escape(where)}: {escape(str(exc))}", highlight=False)
            raise typer.Exit(2) from None
        except OSError as exc:  # a file or folder given that cannot be read or written
            what = f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc)
            err.print(f"[red]error[/red] {escape(what)}", highlight=False)
            raise typer.Exit(2) from None


app = typer.Typer(
    cls=_Commands,
    no_args_is_help=True,
    add_completion=False,
    help="Turn a raw dump of diplomatic cables into a published, searchable archive.",
)
err = Console(stderr=True, soft_wrap=True)
"""Messages are not wrapped: a line names a file and what is wrong, whole, in logs too."""
out = Console()


def _option(setting: settings.Setting[object], *flags: str, **extra: Any) -> Any:
    """A typer option for a setting: its flag, variable and help from the table."""
    assert setting.option is not None
    return typer.Option(
        setting.option,
        *flags,
        envvar=setting.env,
        help=setting.help,
        show_default=setting.shown_default == str(setting.default) or setting.shown_default,
        **extra,
    )


def _print_version(value: bool) -> None:
    if value:
        print(f"cablegate {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print cablegate's version and exit.",
        ),
    ] = False,
    log_level: Annotated[
        str | None,
        typer.Option(
            settings.LOG_LEVEL.option,
            help=f"{settings.LOG_LEVEL.help} \\[env var: {settings.LOG_LEVEL.env}]",
            show_default=settings.LOG_LEVEL.shown_default,
            parser=settings.LOG_LEVEL.parse,
        ),
    ] = None,
) -> None:
    """Turn a raw dump of diplomatic cables into a published, searchable archive."""
    try:  # every setting, before a subcommand reads any (their variables are in --help)
        settings.check()
    except settings.SettingError as exc:
        _fail(str(exc))
    logs.configure(log_level or settings.LOG_LEVEL.get())


class OutputFormat(StrEnum):
    json = "json"
    jsonl = "jsonl"


def _select(record: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
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
    count: Annotated[int, typer.Option(min=1, max=100_000, help="How many cables.")] = 60,
) -> None:
    """Write a small invented demo collection (for machines without the real corpus)."""
    from cablegate.demo import write_demo

    paths = write_demo(out, count)
    err.print(f"wrote {len(paths)} demo cables to {out}", highlight=False)


DbOption = Annotated[str | None, _option(settings.DB)]
IndexOption = Annotated[Path | None, _option(settings.INDEX)]
BaseUrlOption = Annotated[str, _option(settings.BASE_URL)]


PrivateOption = Annotated[
    bool, typer.Option("--private", help="Keep what this brings private until released.")
]
ReleaseAtOption = Annotated[
    str | None,
    typer.Option(
        "--release-at",
        help="Publish what this brings at this time (UTC unless an offset is given), "
        "e.g. '2010-11-28 18:00'.",
    ),
]


ReleasedOption = Annotated[
    str | None,
    typer.Option(
        "--released",
        help="The release date of cables whose source gives none (a text export, "
        "cables.csv, the demo set), e.g. '2010-11-28' (default: now, the ingest time).",
    ),
]


def _visibility(private: bool, release_at: str | None, released: str | None = None) -> Visibility:
    from cablegate.releases import release_time

    if private and release_at:
        _fail("give --private or --release-at, not both")
    if released and (private or release_at):
        _fail(
            "--released is for cables published at once; scheduled cables take their release time"
        )
    try:
        if release_at:
            return Visibility(release_time(release_at))
        if released:
            return Visibility(now=True, undated=release_time(released))
    except CablegateError as exc:
        _fail(str(exc))
    return PRIVATE if private else PUBLIC


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[red]error[/red] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def _shown(db: str | None) -> str:
    """A database as messages show it (no password)."""
    from cablegate.archive.url import parse_url

    return str(parse_url(db))


def _named(db: str | None) -> str:
    """A database as errors name it: an SQLite file by its path (as its own errors do)."""
    from cablegate.archive.url import parse_url

    url = parse_url(db)
    return url.target if url.backend == "sqlite" else url.safe()


def _open(db: str | None, create: bool = False, index: Path | None = None) -> Archive:
    settings.INDEX.export(index)  # the search index (worker processes inherit it)
    try:
        _opened.append(_named(db))
        return Archive.open(db, create=create)
    except (CablegateError, ValueError) as exc:
        err.print(f"[red]error[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from None
    except sqlite3.DatabaseError as exc:  # damage the file's header and size did not show
        err.print(f"[red]error[/red] {escape(_opened[-1])}: {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from None


@app.command()
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Files, folders or archives of cables, any format.")
    ],
    db: DbOption = None,
    index: IndexOption = None,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", help="Parsing processes (0: one per core).")
    ] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    private: PrivateOption = False,
    release_at: ReleaseAtOption = None,
    released: ReleasedOption = None,
    follow_links: Annotated[
        bool,
        typer.Option(
            "--follow-links",
            help="Follow symbolic links out of the folders given (by default they are "
            "skipped, and counted).",
        ),
    ] = False,
    no_index: Annotated[
        bool,
        typer.Option(
            "--no-index",
            help="Keep no search index on this machine up to date as you go (a PostgreSQL "
            "archive's web servers each keep their own); an index catches up by itself "
            "when next used.",
        ),
    ] = False,
) -> None:
    """Read cables into the archive: new cables, new versions, bad input to quarantine.
    What they bring is public at once unless --private or --release-at."""
    missing = [str(p) for p in paths if not os.path.lexists(p)]
    if missing:
        _fail(f"not found: {', '.join(missing)} (no such file or folder)", 1)
    from cablegate.ingest import ingest as run_ingest

    visibility = _visibility(private, release_at, released)
    with _open(db, create=True, index=index) as archive, _progress(quiet) as progress:
        task = progress.add_task("ingest", total=None, inputs=0, rate=0.0)

        def update(report: Report, done: int, total: int) -> None:
            rate = report.read / report.seconds if report.seconds else 0.0
            progress.update(task, completed=done, total=total, inputs=report.read, rate=rate)

        report = run_ingest(
            archive,
            paths,
            jobs=jobs or None,
            progress=update,
            visibility=visibility,
            follow_links=follow_links,
            update_index=not no_index,
        )
    for problem in report.problems[:20]:
        err.print(f"[yellow]quarantined[/yellow] {escape(problem)}", highlight=False)
    if len(report.problems) > 20:
        err.print(f"... and {len(report.problems) - 20} more (see `cablegate quarantine`)")
    for reason, n in report.skipped_reasons.most_common():
        err.print(f"skipped {n:,} file(s): {escape(reason)}", highlight=False)
    err.print(escape(report.summary()), highlight=False)
    stored = report.new + report.versions + report.unchanged
    if report.missing or (report.quarantined and not stored):
        raise typer.Exit(1)


def _progress(quiet: bool, unit: str = "inputs") -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn() if unit == "inputs" else MofNCompleteColumn(),
        TextColumn("{task.fields[inputs]:,} " + unit + ", {task.fields[rate]:,.0f}/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=err,
        disable=quiet,
        transient=False,
    )


@app.command()
def quarantine(
    db: DbOption = None,
    index: IndexOption = None,
    retry: Annotated[
        bool, typer.Option("--retry", help="Read the quarantined inputs again.")
    ] = False,
    show: Annotated[
        int | None,
        typer.Option(
            "--show", min=1, max=2**63 - 1, help="Write the raw bytes of one entry to stdout."
        ),
    ] = None,
    private: PrivateOption = False,
    release_at: ReleaseAtOption = None,
    released: ReleasedOption = None,
) -> None:
    """List inputs that could not be read (or retry them after a parser fix)."""
    from cablegate.ingest import retry_quarantine

    with _open(db, index=index) as archive:
        if show is not None:
            raw = archive.quarantine_raw(show)
            if raw is None:
                err.print(f"no stored bytes for quarantine entry {show}")
                raise typer.Exit(1)
            sys.stdout.buffer.write(raw)
            return
        if retry:
            report = retry_quarantine(
                archive, visibility=_visibility(private, release_at, released)
            )
            for problem in report.problems:
                err.print(f"[yellow]still quarantined[/yellow] {escape(problem)}")
            err.print(escape(report.summary()), highlight=False)
            return
        entries = archive.quarantined()
        out = Console(soft_wrap=True, highlight=False)
        for e in entries:
            where = e.path if e.row is None else f"{e.path}:{e.row}"
            size = f"{e.size:,} bytes kept" if e.size is not None else "no bytes kept"
            out.print(f"[bold]{e.id}[/bold]  {escape(where)}")
            out.print(f"    {escape(e.error)}")
            out.print(f"    {size}; since {e.first_seen}; {e.attempts} attempt(s)")
        err.print(f"{len(entries)} input(s) in quarantine", highlight=False)


MAX_VERSION = 9999
"""The highest version number (as the site's URLs)."""
MAX_PAGE = 100_000
"""The highest page of a search (as the site's)."""


@app.command()
def show(
    cable_id: Annotated[str, typer.Argument(help="Reference ID, e.g. 08STATE37957.")],
    db: DbOption = None,
    version: Annotated[
        int | None,
        typer.Option(min=1, max=MAX_VERSION, help="A version number (see history)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole record as JSON instead.")
    ] = False,
) -> None:
    """Print a cable from the archive, for reading (the current version unless --version;
    --json for the whole record)."""
    from cablegate.search.serialize import public_record

    with _open(db) as archive:
        cid = _canonical(cable_id)
        cable = archive.cable(cid, version)
        if cable is None:
            where = f" (version {version})" if version else ""
            err.print(f"{escape(cable_id)}: not in the archive{where}", highlight=False)
            raise typer.Exit(1)
        versions = archive.history(cid)
    if as_json:
        record = public_record(cable, paths=True)  # on this machine, the paths are its own
        sys.stdout.buffer.write(msgspec.json.format(msgspec.json.encode(record)) + b"\n")
        return
    current = next((v.number for v in versions if v.current), None)
    shown = version or current
    sys.stdout.write(_readable(cable, shown, current, len(versions)))


def _when(value: Any, precision: str | None = None) -> str:
    """A time for reading: ``2009-03-22 10:10 UTC`` (the date alone when only it is
    known)."""
    if value is None:
        return "unknown"
    if precision == "day":
        return f"{value:%Y-%m-%d}"
    return f"{value:%Y-%m-%d %H:%M} UTC"


def _readable(cable: Cable, shown: int | None, current: int | None, count: int) -> str:
    """A cable as ``cablegate show`` prints it: its metadata, then its header and body."""
    refs = [
        r.value + (f" ({r.text})" if r.text and r.text != r.value else "") for r in cable.references
    ]
    which = f"version {shown} of {count}" + (" (current)" if shown == current else "")
    rows = [
        ("ID", cable.canonical_id),
        ("Subject", cable.subject or "none"),
        ("Created", _when(cable.created, cable.created_precision)),
        ("Released", _when(cable.released)),
        ("Classification", cable.classification or "unknown"),
        ("Origin", cable.origin or "unknown"),
        ("Tags", ", ".join(cable.tags) or "none"),
        ("References", "\n".join(refs) or "none"),
        ("Version", which.removeprefix("version ")),
    ]
    width = max(len(label) for label, _ in rows) + 2
    lines = []
    for label, value in rows:
        first, *more = value.split("\n")
        lines.append(f"{label + ':':<{width}}{first}")
        lines += [" " * width + line for line in more]
    parts = ["\n".join(lines), "", "-- header " + "-" * 60, cable.header.rstrip()]
    parts += ["", "-- body " + "-" * 62, cable.body.rstrip(), ""]
    return "\n".join(parts)


@app.command()
def history(
    cable_id: Annotated[str, typer.Argument(help="Reference ID, e.g. 04RANGOON1100.")],
    db: DbOption = None,
) -> None:
    """List a cable's versions in release order, with what changed in each."""
    canonical = _canonical(cable_id)
    with _open(db) as archive:
        versions = archive.history(canonical)
        if not versions:
            err.print(f"{escape(cable_id)}: not in the archive", highlight=False)
            raise typer.Exit(1)
        count = "1 version" if len(versions) == 1 else f"{len(versions)} versions"
        typer.echo(f"{canonical}: {count}, in order of release")
        for v in versions:
            mark = " (current)" if v.current else ""
            released = v.released[:16] if v.released else "date not recorded"
            typer.echo(f"  version {v.number}{mark}, released {released}: {_describe(v.change)}")
            for source in v.sources:
                typer.echo(f"      from {source}")


def _describe(change: Change | None) -> str:
    """What changed in a version, in a reader's words (see :mod:`cablegate.archive.history`):
    ``3 redactions lifted, 19 words restored (+33 / −12 words; redactions)``."""
    from cablegate.archive.history import describe, summary

    if change is None:
        return "first version"
    return f"{summary(change)} ({describe(change)})"


def _canonical(cable_id: str) -> str:
    from cablegate.parse import canonical_id

    return canonical_id(cable_id)


@app.command()
def stats(db: DbOption = None) -> None:
    """Counts of the archive: cables, versions, inputs, quarantine, citations."""
    with _open(db) as archive:
        sys.stdout.buffer.write(msgspec.json.format(msgspec.json.encode(archive.stats())) + b"\n")


@app.command()
def check(db: DbOption = None) -> None:
    """Verify the archive: browse counts, full-text index, versions and inputs agree."""
    from cablegate.archive.db import file_damage
    from cablegate.archive.url import parse_url

    try:
        with Archive.open(db, create=False) as archive:
            problems = archive.check()
    except sqlite3.DatabaseError as exc:  # too damaged to open: what SQLite finds wrong
        problems = [f"{_named(db)}: {exc}", *file_damage(parse_url(db))]
    except (CablegateError, ValueError) as exc:
        _fail(str(exc))
    for problem in problems:
        err.print(f"[red]problem[/red] {escape(problem)}", highlight=False)
    if problems:
        raise typer.Exit(1)
    err.print("archive is consistent")


@app.command()
def copy(
    source: Annotated[str, typer.Argument(help="The archive to copy (URL or SQLite path).")],
    target: Annotated[str, typer.Argument(help="An empty archive to copy it into.")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Copy a whole archive to another database (SQLite to PostgreSQL and back) and verify
    every table by row count and checksum."""
    from cablegate.archive.copy import copy_archive

    with _open(source) as src, _open(target, create=True) as dst, _progress(quiet, "rows") as bar:
        task = bar.add_task("copy", total=None, inputs=0, rate=0.0)
        started = time.perf_counter()

        def update(table: str, rows: int) -> None:
            done = bar.tasks[0].fields["inputs"] + rows
            rate = done / (time.perf_counter() - started)
            bar.update(task, description=f"copy {table}", inputs=done, rate=rate)

        try:
            report = copy_archive(src, dst, update)
        except CablegateError as exc:
            _fail(str(exc))
    table = Table("table", "rows", "copied", "sha256 (source)", "sha256 (copy)", "")
    for check in report.tables:
        verdict = "[green]same[/green]" if check.ok else "[red]DIFFERENT[/red]"
        table.add_row(
            check.table,
            f"{check.source_rows:,}",
            f"{check.copied_rows:,}",
            check.source_sha256[:12],
            check.copied_sha256[:12],
            verdict,
        )
    err.print(table)
    summary = (
        f"copied {sum(c.copied_rows for c in report.tables):,} rows in {len(report.tables)} "
        f"tables from {src.url} to {dst.url} "
        f"in {report.seconds:.1f} s"
    )
    err.print(escape(summary), highlight=False)
    if not report.ok:
        _fail("the copy differs from the source (see above)", 1)


@app.command()
def release(
    ids: Annotated[
        list[str] | None, typer.Argument(help="Cable IDs to schedule, e.g. 08STATE37957.")
    ] = None,
    db: DbOption = None,
    index: IndexOption = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="A file of cable IDs (whitespace or commas).")
    ] = None,
    query: Annotated[
        str | None,
        typer.Option("--query", help="Cables not yet public that match this search query."),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option("--at", help="When: '2010-11-28 18:00' (UTC unless an offset), or now."),
    ] = None,
    private: Annotated[
        bool, typer.Option("--private", help="Unschedule them: private until released.")
    ] = False,
    version: Annotated[
        int | None, typer.Option(help="Only this version of each cable (e.g. the full text).")
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why, for the audit trail (cablegate log).")
    ] = None,
) -> None:
    """Schedule cables for release (--at), keep them private, publish what is due, and list
    the plan. With no cables given: publish what is due and list the plan."""
    from cablegate import releases

    chosen = list(ids or [])
    with _open(db, index=index) as archive:
        try:
            if file is not None:
                chosen += releases.ids_in_file(file)
            if query is not None:
                found = releases.by_query(archive, query)
                err.print(f"--query matches {len(found):,} cable(s) not yet public")
                chosen += found
            when = releases.release_time(at) if at else None
        except (CablegateError, ValueError) as exc:
            _fail(str(exc))
        if chosen and when is None and not private:
            _fail("say when: --at '2010-11-28 18:00', --at now, or --private")
        if chosen:
            outcome = releases.schedule(
                archive, chosen, None if private else when, version, why=reason
            )
            what = "kept private" if private else f"scheduled for {when} UTC"
            err.print(f"{len(outcome.scheduled):,} cable(s) {what}", highlight=False)
            for cid in outcome.unknown:
                err.print(f"[yellow]not in the archive[/yellow] {escape(cid)}", highlight=False)
            for cid in outcome.nothing_left:
                err.print(f"nothing left to release: {escape(cid)}", highlight=False)
            published = outcome.published
        else:
            published = archive.publish_due()
        _index_current(archive)
        for item in published:
            err.print(f"published {item.canonical_id} (version {item.version}) at {item.at}")
        _print_plan(archive)
    if chosen and outcome.unknown:
        raise typer.Exit(1)


@app.command()
def withdraw(
    cable_id: Annotated[str, typer.Argument(help="The published cable, e.g. 08STATE37957.")],
    reason: Annotated[
        str, typer.Option("--reason", help="Why: its page (410 Gone) shows it, unless --silent.")
    ],
    db: DbOption = None,
    index: IndexOption = None,
    version: Annotated[
        int | None, typer.Option(help="Only this version (default: the whole cable).")
    ] = None,
    silent: Annotated[
        bool, typer.Option("--silent", help="Its page answers 404, as for an unknown cable.")
    ] = False,
) -> None:
    """Take a published cable (or one version of it) down from every public surface, in
    one transaction; `cablegate release ID` publishes it again."""
    from cablegate import releases

    with _open(db, index=index) as archive:
        try:
            done = releases.withdraw(archive, cable_id, version, reason, silent)
        except CablegateError as exc:
            _fail(str(exc), 1)
    versions = ", ".join(map(str, done.versions))
    left = (
        "no longer public"
        if done.current is None
        else f"version {done.current} is its current public version"
    )
    err.print(
        f"withdrew {done.canonical_id} (version(s) {versions}); {left}; its page answers "
        + ("404" if silent else "410 Gone with the reason"),
        highlight=False,
    )


@app.command("log")
def audit_log(
    db: DbOption = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=0, max=2**63 - 1, help="How many events (0: all).")
    ] = 50,
) -> None:
    """The audit trail, newest first: releases, withdrawals, article imports and token
    changes, with who (the user, or token:ID for the admin API), what, when and why."""
    with _open(db) as archive:
        entries = archive.audit_log(limit or None)
    for e in entries:
        print("\t".join([e.at, e.who, e.action, e.what, e.why or ""]))
    err.print(f"{len(entries):,} event(s)", highlight=False)


def _index_current(archive: Archive) -> None:
    """Bring the search index up to the archive (rebuilt when missing or of another one)."""
    from cablegate.search.index import for_archive

    for_archive(archive)


@app.command()
def reindex(
    db: DbOption = None,
    index: IndexOption = None,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", help="Processes reading records (0: one per core).")
    ] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Rebuild the search index from the archive, from scratch (it is derived data: ingest,
    release and serve keep it up to date by themselves)."""
    from cablegate.search.index import default_path, rebuild

    started = time.perf_counter()
    with _open(db, index=index) as archive, _progress(quiet, unit="cables") as progress:
        path = default_path(archive)
        task = progress.add_task("reindex", total=None, inputs=0, rate=0.0)

        def update(done: int, total: int) -> None:
            rate = done / (time.perf_counter() - started)
            progress.update(task, completed=done, total=total, inputs=done, rate=rate)

        built = rebuild(archive, path, update, jobs or None)
        count = built.searcher().num_docs - 1  # less its state document
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    err.print(
        f"indexed {count:,} cables into {path} ({size / 2**20:,.1f} MiB) "
        f"in {time.perf_counter() - started:.1f} s",
        highlight=False,
    )


def _print_plan(archive: Archive) -> None:
    plan = archive.plan()
    table = Table("release (UTC)", "cables", "versions", "first IDs", box=None)
    groups: dict[str | None, list[str]] = {}
    for item in plan:
        groups.setdefault(item.release_at, []).append(item.canonical_id)
    for when, cids in groups.items():
        distinct = list(dict.fromkeys(cids))
        shown = ", ".join(distinct[:3]) + (" ..." if len(distinct) > 3 else "")
        table.add_row(when or "private", f"{len(distinct):,}", f"{len(cids):,}", shown)
    if plan:
        Console(stderr=True).print(table)
    stats = archive.stats()
    err.print(
        f"{stats.cables:,} cable(s) public; {len(plan):,} version(s) not yet public",
        highlight=False,
    )


articles_app = typer.Typer(no_args_is_help=True, help="Press articles linked to cables.")
app.add_typer(articles_app, name="articles")


@articles_app.command("import")
def articles_import(
    files: Annotated[list[Path], typer.Argument(help="CSV or JSON files of articles.")],
    db: DbOption = None,
) -> None:
    """Link press articles to cables: CSV with a header (url, title, outlet, date, cables)
    or JSON (a list of objects with those keys); cables are IDs, several to a cell."""
    from cablegate.articles import import_articles, read_articles

    found, problems = [], []
    for path in files:
        articles, trouble = read_articles(path)
        found += articles
        problems += trouble
    for problem in problems:
        err.print(f"[yellow]skipped[/yellow] {escape(problem)}", highlight=False)
    with _open(db) as archive:
        links = import_articles(archive, found)
    err.print(
        f"{len(found):,} article(s) read, {links:,} new link(s) to cables, "
        f"{len(problems):,} problem(s)",
        highlight=False,
    )
    if problems and not found:
        raise typer.Exit(1)


@app.command()
def token(
    db: DbOption = None,
    revoke: Annotated[bool, typer.Option("--revoke", help="Turn writes over HTTP off.")] = False,
) -> None:
    """Make the admin token that writes over HTTP need (scheduling, articles), replacing
    any earlier one; it is printed once and only its hash is kept."""
    from cablegate.site.security import new_token, revoke_token

    with _open(db) as archive:
        if revoke:
            had = revoke_token(archive)
            err.print("token revoked" if had else "there was no token")
            return
        print(new_token(archive))
    err.print("keep it secret: send it as 'Authorization: Bearer <token>'; it is not stored")


@app.command()
def serve(
    db: DbOption = None,
    index: IndexOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, _option(settings.PORT, min=1, max=65535)] = settings.PORT.default,
    base_url: BaseUrlOption = settings.BASE_URL.default,
    workers: Annotated[
        int, typer.Option("--workers", "-w", help="Server processes (0: one per core).")
    ] = 1,
    read_db: Annotated[str | None, _option(settings.READ_DB)] = settings.READ_DB.default,
) -> None:
    """Serve the Cable Viewer website from the archive. Any number of servers may share
    one PostgreSQL archive (behind a load balancer), reading from replicas with --read-db;
    each keeps its own search index (--index) up to date."""
    import uvicorn

    from cablegate.site.app import create_app

    with _open(read_db or db, index=index) as archive:  # pages and search read this one
        _index_current(archive)
    if read_db:
        _open(db).close()
    workers = workers or os.cpu_count() or 1
    base_url = base_url or f"http://{host}:{port}"
    err.print(
        f"serving {_shown(db)}{f' (reading {_shown(read_db)})' if read_db else ''} on "
        f"http://{host}:{port}/ ({workers} process(es))",
        highlight=False,
    )
    level = logs.level()
    log_config = logs.config(level)  # as the callback set it up, for every server process
    if workers == 1:
        app = create_app(db, base_url, read_db)
        uvicorn.run(app, host=host, port=port, log_config=log_config, log_level=level)
        return
    settings.DB.export(db)  # for the worker processes' app_from_env
    settings.READ_DB.export(read_db)
    settings.BASE_URL.export(base_url)
    uvicorn.run(
        "cablegate.site.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=log_config,
        log_level=level,
    )


class SearchFormat(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"


class Sort(StrEnum):
    relevance = "relevance"
    newest = "newest"
    oldest = "oldest"


SEARCH_FORMATS = tuple(SearchFormat)
SEARCH_LIMIT = 10_000
"""The most hits a page of the CLI's search shows."""


@app.command()
def search(
    query: Annotated[str, typer.Argument(help='Query: words, "phrases", AND/OR/NOT, field:value.')],
    db: DbOption = None,
    index: IndexOption = None,
    sort: Annotated[Sort, typer.Option(help="Order of the hits.")] = Sort.relevance,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=SEARCH_LIMIT, help="How many hits to show.")
    ] = 20,
    page: Annotated[int, typer.Option(min=1, max=MAX_PAGE, help="Page of hits (from 1).")] = 1,
    output: Annotated[
        SearchFormat, typer.Option("--format", help="A table, or JSON records.")
    ] = SearchFormat.table,
    facets: Annotated[bool, typer.Option(help="Show facet counts.")] = True,
) -> None:
    """Search the archive (the same query language as the site and the API)."""
    from cablegate.search import QueryError
    from cablegate.search import search as run_search

    with _open(db, index=index) as archive:
        try:
            results = run_search(archive, query, page - 1, limit, sort.value, facets)
        except QueryError as exc:
            err.print(f"[red]error[/red] {escape(str(exc))}", highlight=False)
            raise typer.Exit(2) from None
    for note in results.query.notes:
        err.print(f"note: {escape(note)}", highlight=False)
    if results.suggestion:
        err.print(f"try: {escape(results.suggestion)}", highlight=False)
    summary = f"{results.total:,} hits; page {results.page + 1} of {results.pages} ({results.sort})"
    if output in ("json", "jsonl"):
        err.print(summary, highlight=False)
        from cablegate.search.serialize import search_hit, search_response

        base = settings.BASE_URL.get()  # for the hits' absolute url (else null)
        if output == "jsonl":
            for hit in results.hits:
                sys.stdout.write(msgspec.json.encode(search_hit(hit, base)).decode() + "\n")
        else:
            sys.stdout.write(
                msgspec.json.format(msgspec.json.encode(search_response(results, base))).decode()
            )
            sys.stdout.write("\n")
        return
    table = Table("ID", "created", "classification", "origin", "subject", box=None)
    for hit in results.hits:
        table.add_row(
            hit.canonical_id,
            (hit.created or "")[:10],
            hit.classification or "",
            hit.origin or "",
            escape(hit.subject or ""),
        )
    out.print(table)
    err.print(summary, highlight=False)
    if facets:
        for name, counts in results.facets.items():
            if not counts:
                continue
            shown = ", ".join(f"{escape(k)} {n:,}" for k, n in counts[:8])
            err.print(f"{name}: {shown}", highlight=False)


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    text = "text"


class ExportGroup(StrEnum):
    created = "created"
    classification = "classification"
    origin = "origin"
    released = "released"


@app.command()
def export(
    out: Annotated[Path, typer.Argument(help="Folder to write to.")],
    db: DbOption = None,
    index: IndexOption = None,
    output: Annotated[
        ExportFormat,
        typer.Option("--format", help="jsonl (whole records), csv (cables.csv) or text."),
    ] = ExportFormat.jsonl,
    query: Annotated[
        str | None, typer.Option("--query", "-q", help="Only the hits of this search.")
    ] = None,
    by: Annotated[ExportGroup | None, typer.Option(help="Sort into folders by this field.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Write the archive (or a query's hits) as JSON Lines, cables.csv or text files."""
    from cablegate.exports import export_archive
    from cablegate.search import QueryError

    if out.exists() and not out.is_dir():
        _fail(f"{out}: not a folder")
    started = time.perf_counter()
    with _open(db, index=index) as archive, _progress(quiet, unit="cables") as progress:
        task = progress.add_task("export", total=None, inputs=0, rate=0.0)

        def update(done: int, total: int) -> None:
            rate = done / (time.perf_counter() - started)
            progress.update(task, completed=done, total=total, inputs=done, rate=rate)

        try:
            n = export_archive(archive, out, output.value, query, by and by.value, update)
        except (QueryError, ValueError) as exc:
            err.print(f"[red]error[/red] {escape(str(exc))}", highlight=False)
            raise typer.Exit(2) from None
    err.print(
        f"exported {n:,} cables ({output.value}) to {out} in {time.perf_counter() - started:.1f} s",
        highlight=False,
    )


@app.command("build-site")
def build_site(
    out: Annotated[Path, typer.Argument(help="Folder to write the static site to.")],
    db: DbOption = None,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", help="Rendering processes (0: one per core).")
    ] = 0,
    base_url: BaseUrlOption = settings.BASE_URL.default,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Write the whole site as static files (only the pages that changed since the last
    build), with MANIFEST.sha256, for any web server, CDN or mirror."""
    from cablegate.site.build import BuildReport
    from cablegate.site.build import build_site as run_build

    _open(db).close()
    with _progress(quiet, unit="pages") as progress:
        task = progress.add_task("build-site", total=None, inputs=0, rate=0.0)

        def update(report: BuildReport, done: int, total: int) -> None:
            rate = done / report.seconds if report.seconds else 0.0
            progress.update(task, completed=done, total=total, inputs=done, rate=rate)

        report = run_build(db, out, jobs or os.cpu_count() or 1, base_url, update)
    for error in report.errors[:20]:
        err.print(f"[red]error[/red] {escape(error)}", highlight=False)
    if len(report.errors) > 20:
        err.print(f"... and {len(report.errors) - 20} more")
    err.print(f"{out}: {escape(report.summary())}", highlight=False)
    if report.errors:
        raise typer.Exit(1)


@app.command()
def bundle(
    out: Annotated[Path, typer.Argument(help="Folder to write the bundle to.")],
    db: DbOption = None,
    release: Annotated[
        str | None,
        typer.Option(
            "--release",
            help="A release day (YYYY-MM-DD): the archive as it stood after it, every cable "
            "released that day or before, in the versions released by then (not the day's "
            "cables alone: a mirror serves a whole site).",
        ),
    ] = None,
    whole: Annotated[bool, typer.Option("--all", help="The whole archive as it is.")] = False,
    sign: Annotated[
        Path | None,
        typer.Option("--sign", help="Sign it with this minisign secret key (see bundle-key)."),
    ] = None,
    seven_zip: Annotated[
        bool, typer.Option("--7z", help="Also write the same files as a .7z.")
    ] = False,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", help="Rendering processes (0: one per core).")
    ] = 0,
    base_url: BaseUrlOption = settings.BASE_URL.default,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Write one release (or the whole archive) as one file for mirrors: the static site,
    cables.jsonl, cables.csv and MANIFEST.sha256 in cablegate-DAY.tar.zst, with its .sha256
    beside it; the same archive gives the same bytes. Check one with `cablegate verify`."""
    from cablegate.bundle import BundleError, load_secret_key, make_bundle

    if (release is None) == (not whole):
        _fail("say which: --release YYYY-MM-DD (one release day) or --all (the whole archive)")
    if out.exists() and not out.is_dir():
        _fail(f"{out}: not a folder")
    _open(db).close()
    try:
        secret = None
        if sign is not None:
            secret = load_secret_key(sign, lambda: typer.prompt("key password", hide_input=True))
        with _progress(quiet, unit="files") as progress:
            task = progress.add_task("bundle", total=None, inputs=0, rate=0.0)
            started = time.perf_counter()

            def update(stage: str, done: int, total: int | None) -> None:
                rate = done / (time.perf_counter() - started)
                progress.update(
                    task, description=stage, completed=done, total=total, inputs=done, rate=rate
                )

            report = make_bundle(
                db, out, release, secret, jobs or os.cpu_count() or 1, base_url, seven_zip, update
            )
    except BundleError as exc:
        _fail(str(exc))
    for error in report.errors[:20]:
        err.print(f"[red]error[/red] {escape(error)}", highlight=False)
    if report.errors:
        _fail(f"{len(report.errors)} page(s) could not be rendered: no bundle written", 1)
    for path in report.written:
        err.print(f"wrote {escape(str(path))}", highlight=False)
    err.print(escape(report.summary()), highlight=False)


@app.command("bundle-key")
def bundle_key(
    prefix: Annotated[
        Path, typer.Argument(help="Where to write the keys: PREFIX.key (secret), PREFIX.pub.")
    ],
    no_password: Annotated[
        bool,
        typer.Option("--no-password", help="Leave the secret key unencrypted (for automation)."),
    ] = False,
) -> None:
    """Make a minisign key pair to sign bundles with (bundle --sign PREFIX.key); mirrors
    check with PREFIX.pub (verify --key, or minisign itself)."""
    from cablegate.bundle import BundleError, new_key_pair

    password = None
    if not no_password:
        password = typer.prompt("password for the key", hide_input=True, confirmation_prompt=True)
    try:
        secret, public = new_key_pair(prefix, password)
    except BundleError as exc:
        _fail(str(exc))
    err.print(
        f"wrote {escape(str(secret))} (keep it secret) and {escape(str(public))} (publish it)",
        highlight=False,
    )


@app.command()
def verify(
    bundle: Annotated[Path, typer.Argument(help="A bundle (.tar.zst or .7z).")],
    key: Annotated[
        str | None,
        typer.Option("--key", help="The minisign public key (file or base64) to check with."),
    ] = None,
) -> None:
    """Check a bundle: its .sha256 file, every file against MANIFEST.sha256 and, with
    --key, its signatures. Exit 1 with one line per problem."""
    from cablegate.bundle import BundleError, verify_bundle

    try:
        found = verify_bundle(bundle, key)
    except BundleError as exc:
        _fail(str(exc))
    for problem in found.problems:
        err.print(f"[red]problem[/red] {escape(problem)}", highlight=False)
    if found.problems:
        raise typer.Exit(1)
    err.print(escape(found.summary()), highlight=False)


@app.command()
def synth(
    out: Annotated[Path, typer.Argument(help="Folder to write the synthetic collection to.")],
    count: Annotated[
        int,
        typer.Option(
            min=1,
            help="How many cables (251287: the full release; beyond it, 1973-1979 cables are "
            "added as PlusD's were, 2325961: PlusD's size).",
        ),
    ] = 1000,
    output: Annotated[str, typer.Option("--format", help="csv (one cables.csv) or text.")] = "csv",
    corpus: Annotated[
        Path, typer.Option(help="The real corpus (IDs, months and texts come from it).")
    ] = Path("../shared/corpus"),
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same collection).")] = 0,
) -> None:
    """Generate a realistic synthetic collection of any size from the real corpus."""
    from cablegate.synth import Synthesizer, load_months, load_templates, write_synthetic

    started = time.perf_counter()
    try:
        synthesizer = Synthesizer(load_months(corpus), load_templates(corpus), seed)
        n = write_synthetic(out, synthesizer.cables(count), output)
    except (OSError, ValueError) as exc:
        err.print(f"[red]error[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from None
    err.print(
        f"wrote {n:,} synthetic cables ({output}) to {out} "
        f"in {time.perf_counter() - started:.1f} s",
        highlight=False,
    )


if __name__ == "__main__":
    app(prog_name="cablegate")
