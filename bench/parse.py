"""Parse throughput on the 6,712 real cable pages of cablegate-site.tar.xz.

Measures, on one core:
1. in memory: pages already read into memory, every field parsed (cables/s);
2. end to end: from the .tar.xz archive file through the archive reader (cables/s);
3. one bare regex pass over the same pages (pages/s), as a floor for comparison;
and the peak memory (max RSS) of the process.

And on the corpus's other telegram sources (``pdf/``: 14 PDFs, 24 bare telegram texts), each
read many times over (``--rounds``): PDFs/s end to end (pypdf's text extraction + parsing),
the share of the time in the extraction, and telegram texts/s.

    .venv/bin/python bench/parse.py [--corpus ../shared/corpus] [--repeat 3] [--only pdf]
"""

from __future__ import annotations

import argparse
import contextlib
import re
import resource
import sys
import tarfile
import time
from pathlib import Path

from cablegate.model import Cable
from cablegate.readers import read_paths, read_site_page

ROOT = Path(__file__).resolve().parents[1]


def load_pages(archive: Path) -> list[tuple[str, bytes]]:
    pages = []
    with tarfile.open(archive, "r|*") as tar:
        for member in tar:
            if member.isfile() and member.name.endswith(".html"):
                fileobj = tar.extractfile(member)
                assert fileobj is not None
                pages.append((member.name, fileobj.read()))
    return pages


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=10, help="passes over the PDFs/texts")
    parser.add_argument("--only", choices=("site", "pdf"), help="measure one source only")
    args = parser.parse_args()
    if args.only != "site":
        pdf_and_telegram(args.corpus / "pdf", args.repeat, args.rounds)
    if args.only == "pdf":
        return
    archive = args.corpus / "cablegate-site.tar.xz"
    # End to end first, so that its peak memory is that of streaming alone.
    n_stream = 0

    def end_to_end() -> None:
        nonlocal n_stream
        n_stream = sum(1 for item in read_paths([archive]) if isinstance(item, Cable))

    t_e2e = best_of(1, end_to_end)
    stream_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pages = load_pages(archive)
    n = len(pages)
    assert n_stream == n, (n_stream, n)
    total_mb = sum(len(d) for _, d in pages) / 1e6

    def parse_all() -> None:
        for name, data in pages:
            read_site_page(data, name)

    pattern = re.compile(rb"<pre>(.*?)</pre>", re.S)

    def regex_pass() -> None:
        for _, data in pages:
            pattern.findall(data)

    t_mem = best_of(args.repeat, parse_all)
    t_regex = best_of(args.repeat, regex_pass)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pages: {n} ({total_mb:.0f} MB of HTML), python {sys.version.split()[0]}, one core")
    print(f"in memory, all fields : {n / t_mem:8.0f} cables/s  ({t_mem:.2f} s)")
    print(f"end to end from .tar.xz: {n / t_e2e:8.0f} cables/s  ({t_e2e:.2f} s)")
    print(f"bare regex pass        : {n / t_regex:8.0f} pages/s   ({t_regex:.2f} s)")
    print(f"peak RSS, streaming    : {stream_peak_mb:8.0f} MiB (end to end, before loading pages)")
    print(f"peak RSS, all in memory: {peak_mb:8.0f} MiB (all {total_mb:.0f} MB of pages held)")


def pdf_and_telegram(folder: Path, repeat: int, rounds: int) -> None:
    """PDFs/s and telegram texts/s, and where a PDF's time goes (extraction vs parsing)."""
    import pypdf

    from cablegate.errors import ReadError
    from cablegate.model import Provenance
    from cablegate.readers.pdf import normalise, pdf_text, read_pdf
    from cablegate.readers.telegram import FORMAT, parse_telegram, read_telegram

    pdfs = [(p.name, p.read_bytes()) for p in sorted(folder.glob("*.pdf"))]
    texts = [(p.name, p.read_bytes()) for p in sorted((folder / "pdftotext").glob("*.txt"))]
    texts = [(name, data) for name, data in texts if data]

    def read_all(reader, docs) -> int:  # type: ignore[no-untyped-def]
        done = 0
        for _ in range(rounds):
            for name, data in docs:
                with contextlib.suppress(ReadError):  # 00DAMASCUS3013: header only
                    reader(data, name)
                done += 1
        return done

    extracted = [(name, pdf_text(data, name)) for name, data in pdfs]
    where = Provenance(format=FORMAT, path="bench", sha256="")

    def parse_extracted() -> None:
        for _ in range(rounds):
            for name, text in extracted:
                with contextlib.suppress(ReadError):
                    parse_telegram(normalise(text), name, where)

    def extract_only() -> None:
        for _ in range(rounds):
            for name, data in pdfs:
                pdf_text(data, name)

    n_pdf, n_text = len(pdfs) * rounds, len(texts) * rounds
    t_pdf = best_of(repeat, lambda: read_all(read_pdf, pdfs))
    t_extract = best_of(repeat, extract_only)
    t_parse = best_of(repeat, parse_extracted)
    t_text = best_of(repeat, lambda: read_all(read_telegram, texts))
    pages = sum(len(pypdf.PdfReader(folder / n).pages) for n, _ in pdfs)
    kb = sum(len(d) for _, d in pdfs) / 1e3
    print(f"PDFs: {len(pdfs)} ({pages} pages, {kb:.0f} kB) x {rounds} rounds, one core")
    print(f"PDFs end to end        : {n_pdf / t_pdf:8.1f} PDFs/s   ({t_pdf:.2f} s)")
    print(
        f"  pypdf text extraction: {n_pdf / t_extract:8.1f} PDFs/s   "
        f"({t_extract:.2f} s, {t_extract / t_pdf:.0%} of the time)"
    )
    print(
        f"  telegram parsing     : {n_pdf / t_parse:8.1f} PDFs/s   "
        f"({t_parse:.2f} s, {t_parse / t_pdf:.0%} of the time)"
    )
    print(f"telegram texts ({len(texts)})   : {n_text / t_text:8.1f} texts/s  ({t_text:.2f} s)")


if __name__ == "__main__":
    main()
