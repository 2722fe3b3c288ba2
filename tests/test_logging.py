"""Logging: one set-up (:mod:`cablegate.logs`) and one format for the command line and the
server (uvicorn's access and error logs too); every response has a request ID, and a
request that fails is logged with it and its traceback while the reader sees only the ID."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cablegate import logs
from cablegate.archive import Archive
from cablegate.cli import app
from cablegate.demo import write_demo
from cablegate.ingest import ingest
from cablegate.site.app import create_app
from cablegate.site.pages import Site

LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[\d+\] (?P<level>[A-Z]+) (?P<name>[\w.]+): "
    r"(?P<message>.*)$"
)


@pytest.fixture(autouse=True)
def restore_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("CABLEGATE_LOG_LEVEL", raising=False)
    monkeypatch.delenv("CABLEGATE_INDEX", raising=False)
    names = ["", "uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"]
    saved = {}
    for name in names:
        logger = logging.getLogger(name)
        saved[name] = (logger.level, logger.handlers[:], logger.propagate)
    yield
    for name, (level, handlers, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.handlers[:] = handlers
        logger.propagate = propagate


@pytest.fixture()
def demo_db(tmp_path: Path) -> str:
    db = str(tmp_path / "demo.db")
    with Archive.open(db, create=True) as archive:
        ingest(archive, [write_demo(tmp_path / "demo", 8)[0].parent], jobs=1)
    return db


def test_a_failing_request_is_logged_with_the_id_the_reader_sees(
    demo_db: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    client = TestClient(create_app(demo_db), raise_server_exceptions=False)
    ok = [client.get("/"), client.get("/faq.html"), client.get("/api/stats")]
    ids = [r.headers["X-Request-ID"] for r in ok]
    assert [r.status_code for r in ok] == [200, 200, 200]
    assert all(re.fullmatch(r"[0-9a-f]{12}", i) for i in ids) and len(set(ids)) == 3

    def broken(self: Site, path: str) -> None:
        raise RuntimeError("zqx internal detail")

    monkeypatch.setattr(Site, "page", broken)
    with caplog.at_level(logging.ERROR, logger="cablegate"):
        failed = client.get("/faq.html")
    assert failed.status_code == 500
    rid = failed.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{12}", rid) and rid not in ids
    assert failed.headers["content-type"].startswith("text/plain")
    assert f"request ID {rid}" in failed.text
    assert "zqx" not in failed.text and "Traceback" not in failed.text
    assert "RuntimeError" not in failed.text
    [record] = [r for r in caplog.records if rid in r.getMessage()]
    assert record.levelno == logging.ERROR and record.name == "cablegate.site"
    assert "GET /faq.html" in record.getMessage()
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError
    assert "Traceback" in caplog.text and "zqx internal detail" in caplog.text


def test_one_format_for_the_command_line_and_the_server(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logs.configure("info")
    logging.getLogger("cablegate.test").info("from the command line")
    logging.getLogger("cablegate.test").debug("not shown at info")
    # What uvicorn does with the log_config that `cablegate serve` gives it.
    uvicorn.Config("cablegate.site.app:app_from_env", log_config=logs.config("info"))
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/", "1.1", 200
    )
    logging.getLogger("uvicorn.error").warning("from the server")
    lines = capsys.readouterr().err.splitlines()
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    assert [(m["level"], m["name"], m["message"]) for m in parsed if m] == [
        ("INFO", "cablegate.test", "from the command line"),
        ("INFO", "uvicorn.access", '127.0.0.1:5000 - "GET / HTTP/1.1" 200'),
        ("WARNING", "uvicorn.error", "from the server"),
    ]
    assert logs.level() == "info"


def test_configure_keeps_other_handlers_and_replaces_its_own(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.configure("warning")
    logs.configure("warning")
    root = logging.getLogger()
    assert sum(isinstance(h, logs.StderrHandler) for h in root.handlers) == 1
    assert caplog.handler in root.handlers
    logging.getLogger("cablegate.test").warning("once")
    assert capsys.readouterr().err.count("once") == 1
    assert [r.getMessage() for r in caplog.records] == ["once"]


def test_the_cli_sets_the_level(demo_db: str) -> None:
    assert CliRunner().invoke(app, ["stats", "--db", demo_db]).exit_code == 0
    assert logs.level() == "warning"
    result = CliRunner().invoke(app, ["--log-level", "DEBUG", "stats", "--db", demo_db])
    assert result.exit_code == 0 and logs.level() == "debug"
    refused = CliRunner().invoke(app, ["--log-level", "loud", "stats", "--db", demo_db])
    assert refused.exit_code == 2 and "not a log level" in refused.stderr
