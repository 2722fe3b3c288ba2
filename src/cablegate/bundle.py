"""Bundles: one release of the archive, or all of it, as one file a mirror can fetch, check
and serve, as the 2010 site went out, as torrents with checksums, to a thousand mirrors.

``cablegate bundle OUT --release 2010-11-28`` (or ``--all``) writes
``OUT/cablegate-2010-11-28.tar.zst``, a folder ``cablegate-2010-11-28/`` holding:

- ``site/``: the static mirror (:func:`cablegate.site.build.build_site`, with its own
  ``MANIFEST.sha256``);
- ``cables.jsonl`` and ``cables.csv``: the same cables as exports
  (:func:`cablegate.exports.export_archive`);
- ``MANIFEST.sha256``: the SHA-256 of every other file, in ``sha256sum`` format (``cd
  cablegate-2010-11-28 && sha256sum -c MANIFEST.sha256``), and, when signed,
  ``MANIFEST.sha256.minisig``, its minisign signature;

and beside it ``cablegate-2010-11-28.tar.zst.sha256`` (``sha256sum -c`` reads it) and,
when signed, ``cablegate-2010-11-28.tar.zst.minisig`` (``minisign -Vm`` checks the download
before anything is unpacked). ``--7z`` also writes the same tree as ``.7z`` (py7zr).

**What a release's bundle holds.** The original's torrents were the whole site as it
stood on a day, not the day's new cables alone, and a mirror serves a whole site: a
per-day fragment would be a site of broken links. So ``--release D`` is the archive *as it
stood after release day D*: every cable released on D or before, each in the versions the
archive had released by then (a version's Released time, as the site gave it), nothing
released later, nothing not yet public. It is built from a copy of the archive (in a
temporary SQLite file, :func:`cablegate.archive.copy.copy_archive`) from which what came
later is taken down silently (as ``cablegate withdraw --silent`` would, so it leaves no
page) and in which nothing scheduled is published. ``--all`` is the archive as it is; it
too is built from a copy, so the mirror, the exports and the manifest are of one state of
the archive even while it is written to.

**Same archive, same bytes.** Members are in a fixed order (the manifest and its
signature first, then by path), with a fixed time (midnight UTC of the release day; for
``--all`` the archive's last change), owner 0, no user or group names, mode 0644, GNU tar
headers (no pax records, so no access or change times); zstd runs at a fixed level on one
thread; minisign signs with a trusted comment that holds no timestamp (Ed25519 signatures
are deterministic). The bytes are stable for one version of zstd (a newer one may
compress differently). py7zr writes identical ``.7z`` files when its files' times and
modes are fixed, which they are.

``cablegate verify BUNDLE`` reads the bundle as a stream, never unpacking it to disk, and
checks the checksum file beside it, every file against the manifest and, with ``--key``,
the signatures.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import lzma
import os
import re
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import minisign  # type: ignore[import-untyped]  # py-minisign ships no type information
import py7zr
import py7zr.io
import zstandard

from cablegate.archive import Archive
from cablegate.archive.copy import copy_archive
from cablegate.errors import CablegateError

MANIFEST = "MANIFEST.sha256"
SIGNATURE = MANIFEST + ".minisig"
TAR_SUFFIX = ".tar.zst"
SEVEN_ZIP_SUFFIX = ".7z"
ZSTD_LEVEL = 10
"""A fixed level (the bytes depend on it): a third of the mirror's size, at ~100 MB/s."""
CHUNK = 1 << 20
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
FILE_MODE = 0o644

Progress = Callable[[str, int, int | None], None]
"""(stage, done, total or None) as a bundle is made: ``copy``, ``site``, ``export``,
``pack``."""


class BundleError(CablegateError):
    """A bundle cannot be made or read at all (bad arguments, not a bundle): one line."""


def bundle_name(release: str | None) -> str:
    """``cablegate-2010-11-28`` (``cablegate-all`` for the whole archive)."""
    return f"cablegate-{release or 'all'}"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# -- keys -----------------------------------------------------------------------------------


def new_key_pair(prefix: Path, password: str | None) -> tuple[Path, Path]:
    """Write a minisign key pair, ``PREFIX.key`` (secret, mode 0600, encrypted with
    ``password`` unless None) and ``PREFIX.pub``, refusing to overwrite either; the files
    are minisign's own, so ``minisign -Vm FILE -p PREFIX.pub`` checks what it signs."""
    secret_path, public_path = (
        prefix.with_name(prefix.name + ".key"),
        prefix.with_name(prefix.name + ".pub"),
    )
    for path in (secret_path, public_path):
        if path.exists():
            raise BundleError(f"{path}: already exists (not overwritten)")
    pair = minisign.KeyPair.generate()
    with pair.secret_key as secret:
        if password is not None:
            secret.encrypt(password)
        fd = os.open(secret_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with open(fd, "wb") as handle:
            handle.write(bytes(secret) + b"\n")
    public_path.write_bytes(bytes(pair.public_key) + b"\n")
    return secret_path, public_path


def load_secret_key(path: Path, password: Callable[[], str]) -> Any:
    """A minisign secret key, decrypted (``password`` is asked only for an encrypted one)."""
    try:
        secret = minisign.SecretKey.from_file(path)
        if secret.is_encrypted():
            secret.decrypt(password())
    except minisign.Error as exc:
        raise BundleError(f"{path}: not a usable minisign secret key ({exc})") from None
    return secret


def load_public_key(key: str) -> Any:
    """A minisign public key from a file (``minisign.pub``) or given as its base64 line."""
    try:
        if Path(key).is_file():
            return minisign.PublicKey.from_file(key)
        return minisign.PublicKey.from_base64(key)
    except (minisign.Error, ValueError) as exc:
        raise BundleError(f"{key}: not a minisign public key ({exc})") from None
    except OSError as exc:
        raise BundleError(f"{key}: {exc.strerror}") from None


def _sign(secret: Any, data: bytes | IO[bytes], name: str, what: str) -> bytes:
    """A minisign signature; its trusted comment names the file and holds no time, so a
    signed bundle is as reproducible as an unsigned one."""
    signature = secret.sign(data, trusted_comment=f"cablegate bundle {name}: {what}")
    return bytes(signature) + b"\n"


# -- making a bundle ------------------------------------------------------------------------


@dataclass
class BundleReport:
    name: str
    written: list[Path] = field(default_factory=list)
    cables: int = 0
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    """Pages the static build could not render: then no bundle is written."""

    def summary(self) -> str:
        size = self.written[0].stat().st_size if self.written else 0
        return (
            f"{self.name}: {self.cables:,} cables, {self.files:,} files "
            f"({self.bytes / 2**20:,.1f} MiB, {size / 2**20:,.1f} MiB packed) "
            f"in {self.seconds:.1f} s"
        )


def _check_day(release: str) -> None:
    if not DAY.fullmatch(release):
        raise BundleError(f"--release {release!r}: give a day as YYYY-MM-DD, e.g. 2010-11-28")
    try:
        dt.date.fromisoformat(release)
    except ValueError:
        raise BundleError(f"--release {release!r}: no such day") from None


def _utc_seconds(text: str) -> int:
    """Seconds since 1970 of an archive time (``2010-11-28 18:00:00``, UTC)."""
    when = dt.datetime.fromisoformat(text)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return int(when.timestamp())


def _as_of(archive: Archive, day: str) -> int:
    """Take out of an archive (a copy) what was released after ``day``, silently, and
    unschedule what is not yet public: the archive as it stood after that release day.
    Returns how many cables are left."""
    keys = list(archive.page_keys())
    listed = archive.listed_ids([cid for cid, *_ in keys])
    later: list[tuple[str, int | None]] = []
    for cid, _, earlier, _ in keys:
        if not earlier:  # one public version: the cable's own Released time is its
            released = listed[cid].released
            if released is not None and released[:10] > day:
                later.append((cid, None))
            continue
        versions = archive.history(cid)
        gone = [v.number for v in versions if v.released is not None and v.released[:10] > day]
        if len(gone) == len(versions):
            later.append((cid, None))
        else:
            later += [(cid, number) for number in gone]
    waiting = sorted({item.canonical_id for item in archive.plan() if item.release_at})
    with archive.transaction():
        writer = archive.writer(f"{day} 23:59:59")
        for cid, number in later:
            writer.withdraw(cid, number, f"released after {day}", silent=True)
        for cid in waiting:
            writer.schedule(cid, None)
    return archive.public_count()


def _files(root: Path) -> list[str]:
    """Every file under ``root``, as sorted relative POSIX paths."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def _write_manifest(stage: Path) -> tuple[int, int]:
    """``MANIFEST.sha256`` of every file in the stage; (files, bytes)."""
    lines, size = [], 0
    for rel in _files(stage):
        if rel in (MANIFEST, SIGNATURE):
            continue
        lines.append(f"{sha256_file(stage / rel)}  {rel}\n")
        size += (stage / rel).stat().st_size
    (stage / MANIFEST).write_text("".join(lines), "utf-8")
    return len(lines), size


def _members(stage: Path) -> list[str]:
    """The bundle's files in their order: the manifest and its signature first (a reader
    has them before the files they vouch for), then by path."""
    first = [name for name in (MANIFEST, SIGNATURE) if (stage / name).is_file()]
    return first + [rel for rel in _files(stage) if rel not in first]


class _Hashing:
    """A file being written that hashes what goes through it."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.handle.write(data)


def _pack_tar(stage: Path, name: str, target: Path, mtime: int, progress: Progress | None) -> str:
    """Write the stage as ``name/...`` into a reproducible ``.tar.zst``; its SHA-256."""
    members = _members(stage)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL, threads=0, write_checksum=True)
    try:
        with temporary.open("wb") as raw:
            hashing = _Hashing(raw)
            with (
                compressor.stream_writer(hashing, closefd=False) as packed,  # type: ignore[arg-type]
                tarfile.open(fileobj=packed, mode="w|", format=tarfile.GNU_FORMAT) as tar,
            ):
                for done, rel in enumerate(members, 1):
                    path = stage / rel
                    info = tarfile.TarInfo(f"{name}/{rel}")
                    info.size = path.stat().st_size
                    info.mtime, info.mode = mtime, FILE_MODE
                    info.uid = info.gid = 0
                    info.uname = info.gname = ""
                    with path.open("rb") as handle:
                        tar.addfile(info, handle)
                    if progress is not None and (done % 500 == 0 or done == len(members)):
                        progress("pack", done, len(members))
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)
    return hashing.digest.hexdigest()


def _pack_7z(stage: Path, name: str, target: Path, mtime: int) -> None:
    """The same tree as ``.7z``: py7zr stores each file's time and mode from the disk, so
    they are fixed first; then its output is the same for the same files."""
    members = _members(stage)
    for rel in members:
        os.chmod(stage / rel, FILE_MODE)
        os.utime(stage / rel, (mtime, mtime))
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with py7zr.SevenZipFile(temporary, "w") as archive:
            for rel in members:
                archive.write(stage / rel, f"{name}/{rel}")
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)


def _beside(target: Path, sha: str, secret: Any, name: str) -> list[Path]:
    """The checksum file (and signature) beside a packed bundle."""
    check = target.with_name(target.name + ".sha256")
    check.write_text(f"{sha}  {target.name}\n", "utf-8")
    written = [check]
    if secret is not None:
        signature = target.with_name(target.name + ".minisig")
        with target.open("rb") as handle:
            signature.write_bytes(_sign(secret, handle, name, target.name))
        written.append(signature)
    return written


def make_bundle(
    db: str | None,
    out: Path,
    release: str | None,
    secret: Any = None,
    jobs: int = 1,
    base_url: str = "",
    seven_zip: bool = False,
    progress: Progress | None = None,
) -> BundleReport:
    """Write the bundle of one release day (``release``, ``YYYY-MM-DD``) or of the whole
    archive (None) into ``out``, signed with ``secret`` (a minisign secret key) if given;
    see the module doc. Nothing is written when a page cannot be rendered (the report's
    errors say which)."""
    from cablegate.exports import export_archive
    from cablegate.site.build import build_site

    started = time.perf_counter()
    if release is not None:
        _check_day(release)
    name = bundle_name(release)
    report = BundleReport(name)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".cablegate-bundle-", dir=out) as tmp:
        snapshot, stage = str(Path(tmp) / "archive.db"), Path(tmp) / name
        mtime = _snapshot(db, snapshot, release, report, progress)

        def site_progress(_: object, done: int, total: int) -> None:
            if progress is not None:
                progress("site", done, total)

        def export_progress(done: int, total: int) -> None:
            if progress is not None:
                progress("export", done, total)

        built = build_site(snapshot, stage / "site", jobs, base_url, site_progress)
        report.errors = list(built.errors)
        if report.errors:
            report.seconds = time.perf_counter() - started
            return report
        with Archive.open(snapshot, create=False) as copy:
            for fmt in ("jsonl", "csv"):
                export_archive(copy, stage, fmt, progress=export_progress)
        report.files, report.bytes = _write_manifest(stage)
        if secret is not None:
            manifest = (stage / MANIFEST).read_bytes()
            (stage / SIGNATURE).write_bytes(_sign(secret, manifest, name, MANIFEST))
        target = out / (name + TAR_SUFFIX)
        sha = _pack_tar(stage, name, target, mtime, progress)
        report.written = [target, *_beside(target, sha, secret, name)]
        if seven_zip:
            seven = out / (name + SEVEN_ZIP_SUFFIX)
            _pack_7z(stage, name, seven, mtime)
            report.written += [seven, *_beside(seven, sha256_file(seven), secret, name)]
    report.seconds = time.perf_counter() - started
    return report


def _snapshot(
    db: str | None,
    snapshot: str,
    release: str | None,
    report: BundleReport,
    progress: Progress | None,
) -> int:
    """Copy the archive into the SQLite file ``snapshot`` (as of ``release`` if given);
    the bundle's file time."""
    with Archive.open(db, create=False) as source:
        source.publish_due()  # as build-site does: what is due is public
        days = [day for day, _ in source.browse("reldate")]
        if not days:
            raise BundleError(f"{source.url.safe()}: no public cables to bundle")
        modified = source.state().modified
        if progress is not None:
            progress("copy", 0, None)
        with Archive.open(snapshot, create=True) as copy:
            if not copy_archive(source, copy).ok:
                raise BundleError(f"{source.url.safe()}: the copy to bundle from differs")
            report.cables = _as_of(copy, release) if release else copy.public_count()
    if not report.cables:
        raise BundleError(
            f"no cables were released on or before {release} (release days of the archive's "
            f"current versions: {days[0]} to {days[-1]})"
        )
    return _utc_seconds(release or modified or days[-1])


# -- verifying a bundle ---------------------------------------------------------------------


@dataclass
class Verified:
    bundle: Path
    files: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        return f"{self.bundle.name}: {self.files:,} files match {MANIFEST}; " + "; ".join(
            self.notes
        )


@dataclass
class _Contents:
    """What a bundle holds: its folder, each file's SHA-256, the manifest and signature."""

    folder: str | None = None
    digests: dict[str, str] = field(default_factory=dict)
    manifest: bytes | None = None
    signature: bytes | None = None
    problems: list[str] = field(default_factory=list)

    def add(self, member: str, chunks: Iterator[bytes]) -> None:
        folder, _, rel = member.partition("/")
        parts = rel.split("/")
        if self.folder is None:
            self.folder = folder
        if folder != self.folder or not rel or any(p in ("", ".", "..") for p in parts):
            self.problems.append(f"{member}: outside the bundle's folder {self.folder}/")
            return
        if rel in self.digests:
            self.problems.append(f"{rel}: twice in the bundle")
        keep = rel in (MANIFEST, SIGNATURE)
        digest, kept = hashlib.sha256(), bytearray()
        for chunk in chunks:
            digest.update(chunk)
            if keep:
                kept += chunk
        self.digests[rel] = digest.hexdigest()
        if rel == MANIFEST:
            self.manifest = bytes(kept)
        elif rel == SIGNATURE:
            self.signature = bytes(kept)


def _chunks(handle: IO[bytes]) -> Iterator[bytes]:
    while chunk := handle.read(CHUNK):
        yield chunk


def _read_tar(path: Path, contents: _Contents) -> None:
    """Hash every member of a ``.tar.zst`` as it streams by (nothing written to disk)."""
    with path.open("rb") as raw:
        reader = zstandard.ZstdDecompressor().stream_reader(raw)
        with tarfile.open(fileobj=reader, mode="r|") as tar:
            for member in tar:
                if not member.isfile():
                    contents.problems.append(f"{member.name}: not a regular file")
                    continue
                handle = tar.extractfile(member)
                assert handle is not None
                contents.add(member.name, _chunks(handle))


class _HashIO(py7zr.io.Py7zIO):
    """A member of a ``.7z`` as py7zr decompresses it: hashed, and kept only if small."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, s: bytes | bytearray) -> int:
        self.chunks.append(bytes(s))
        return len(s)

    def read(self, size: int | None = None) -> bytes:
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def flush(self) -> None:
        pass

    def size(self) -> int:
        return sum(map(len, self.chunks))


class _HashFactory(py7zr.io.WriterFactory):
    def __init__(self, contents: _Contents) -> None:
        self.contents = contents
        self.pending: tuple[str, _HashIO] | None = None

    def create(self, filename: str) -> py7zr.io.Py7zIO:
        self.finish()
        writer = _HashIO()
        self.pending = (filename, writer)
        return writer

    def finish(self) -> None:
        if self.pending is not None:
            filename, writer = self.pending
            self.contents.add(filename, iter(writer.chunks))
            self.pending = None


def _read_7z(path: Path, contents: _Contents) -> None:
    """Hash every member of a ``.7z`` (py7zr decompresses into the hashing writers; each
    file's bytes are held only until the next one starts)."""
    factory = _HashFactory(contents)
    with py7zr.SevenZipFile(path, "r") as archive:
        archive.extract(factory=factory)
    factory.finish()


_DAMAGE = (
    zstandard.ZstdError,
    tarfile.TarError,
    py7zr.exceptions.ArchiveError,
    lzma.LZMAError,
    EOFError,
    ValueError,
)
"""What reading a damaged bundle raises (checksums and structure that do not hold)."""


def _read_checksum_file(bundle: Path, found: Verified) -> None:
    check = bundle.with_name(bundle.name + ".sha256")
    if not check.is_file():
        found.notes.append(f"no {check.name} beside it")
        return
    expected = check.read_text("utf-8", errors="replace").split()
    actual = sha256_file(bundle)
    if not expected or expected[0].lower() != actual:
        found.problems.append(
            f"{bundle.name}: SHA-256 {actual} is not the one in {check.name}: "
            "the file was damaged or changed"
        )
    else:
        found.notes.append(f"{check.name} matches")


def _check_signature(key: Any, data: bytes | IO[bytes], signature: bytes, what: str) -> str:
    """'' when the signature holds, else the problem."""
    try:
        key.verify(data, minisign.Signature.from_bytes(signature.rstrip(b"\n")))
    except minisign.Error as exc:
        return f"{what}: the signature does not verify with this key ({exc})"
    return ""


def verify_bundle(bundle: Path, key: str | None = None) -> Verified:
    """Check a bundle: the checksum file beside it (when there), every file against its
    manifest (missing, extra and changed files each named), and with ``key`` (a minisign
    public key) the signatures of the manifest and, when there, of the bundle file. Raises
    :class:`BundleError` for what is no bundle at all."""
    if not bundle.is_file():
        raise BundleError(f"{bundle}: no such file")
    public = load_public_key(key) if key is not None else None
    found = Verified(bundle)
    with bundle.open("rb") as handle:
        magic = handle.read(6)
    seven = magic.startswith(b"7z\xbc\xaf\x27\x1c")
    zstd = magic.startswith(b"\x28\xb5\x2f\xfd")
    if not seven and not zstd and not bundle.with_name(bundle.name + ".sha256").is_file():
        raise BundleError(f"{bundle}: not a bundle (neither .tar.zst nor .7z)")
    _read_checksum_file(bundle, found)
    beside = bundle.with_name(bundle.name + ".minisig")
    if public is not None and beside.is_file():
        with bundle.open("rb") as data:
            problem = _check_signature(public, data, beside.read_bytes(), bundle.name)
        found.problems += [problem] if problem else []
    contents = _Contents()
    try:
        (_read_7z if seven else _read_tar)(bundle, contents)
    except _DAMAGE as exc:
        after = f" after {len(contents.digests):,} files" if contents.digests else ""
        found.problems.append(
            f"{bundle.name}: damaged, cannot be read{after} ({type(exc).__name__}: {exc})"
        )
    found.problems += contents.problems
    if contents.manifest is None:
        if not found.problems:
            raise BundleError(f"{bundle}: not a bundle (no {MANIFEST} in it)")
        found.problems.append(f"{MANIFEST}: not found in the bundle")
        return found
    _compare(contents, found)
    _check_manifest_signature(contents, public, found)
    return found


def _compare(contents: _Contents, found: Verified) -> None:
    listed: dict[str, str] = {}
    assert contents.manifest is not None
    for number, line in enumerate(contents.manifest.decode("utf-8", "replace").splitlines(), 1):
        sha, sep, rel = line.partition("  ")
        if not sep or not re.fullmatch(r"[0-9a-f]{64}", sha):
            found.problems.append(f"{MANIFEST}: line {number} is not 'SHA-256  path'")
            continue
        listed[rel] = sha
    held = {rel: sha for rel, sha in contents.digests.items() if rel not in (MANIFEST, SIGNATURE)}
    for rel in sorted(listed.keys() - held.keys()):
        found.problems.append(f"{rel}: in {MANIFEST} but missing from the bundle")
    for rel in sorted(held.keys() - listed.keys()):
        found.problems.append(f"{rel}: in the bundle but not in {MANIFEST}")
    for rel in sorted(listed.keys() & held.keys()):
        if listed[rel] != held[rel]:
            found.problems.append(f"{rel}: changed (its SHA-256 is not the one in {MANIFEST})")
    found.files = sum(1 for rel in held if listed.get(rel) == held[rel])


def _check_manifest_signature(contents: _Contents, public: Any, found: Verified) -> None:
    assert contents.manifest is not None
    if contents.signature is None:
        if public is not None:
            found.problems.append(f"{MANIFEST}: not signed, but a key was given to check it")
        else:
            found.notes.append("not signed")
        return
    if public is None:
        found.notes.append("signed, not checked: give --key")
        return
    problem = _check_signature(public, contents.manifest, contents.signature, MANIFEST)
    if problem:
        found.problems.append(problem)
    else:
        found.notes.append(f"signature good (key {_key_id(public)})")


def _key_id(public: Any) -> str:
    """The key's ID as minisign prints it (hex, upper case)."""
    line = bytes(public).decode().splitlines()[0]
    return line.rsplit(" ", 1)[-1]
