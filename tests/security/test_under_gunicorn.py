"""The hostile-input defences over real HTTP (issue 16): gunicorn with two workers in production
mode, on the suite's database (SQLite or PostgreSQL) and, when Redis answers, Redis for the rate
limits, as a deployment runs it. The in-process tests use Flask's test client; this checks that
nothing between the socket and the view (gunicorn's parsing, the WSGI environ, several workers)
undoes them: a forged Host never reaches an answer, an oversized or inflated upload is refused
with bounded memory in the worker, page numbers cannot break a page, the login limits hold
across workers and cannot be dodged with X-Forwarded-For, and a POST without its CSRF token is
refused."""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from portal.blueprints.berita_acara.models import BeritaAcara
from tests.berita_acara.conftest import (  # noqa: F401  (fixtures)
    decided,
    invite,
    locked,
    meeting_data,
    register,
    sekretaris,
    users,
)
from tests.conftest import base_config
from tests.factories import PASSWORD
from tests.security.test_bombs import MIB, RSS_LIMIT_MB, pdf_bomb
from tests.security.test_pdf_structure_bombs import object_stream_bomb

ROOT = Path(__file__).parent.parent.parent
PUBLIC = "https://musyawarah.example.go.id"
EVIL = "evil.example.net"
REDIS_URL = "redis://127.0.0.1:6379/14"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except Exception:
        return False


class Server:
    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process, self.port = process, port

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        host: str = "127.0.0.1",
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders()
        if body is not None:
            # The server may answer (413) without reading the rest: then read its answer.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                connection.send(body)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def worker_peaks_mb(self) -> list[int]:
        """VmHWM of each worker (children of the gunicorn master)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        peaks = []
        for pid in children.read_text().split():
            status = Path(f"/proc/{pid}/status").read_text()
            peaks.append(int(status.split("VmHWM:")[1].split()[0]) // 1024)
        return peaks


@pytest.fixture
def server(app, locked, database_url: str, tmp_path: Path) -> Iterator[Server]:
    from portal.extensions import db

    db.session.commit()
    db.engine.dispose()  # SQLite: the workers open the file themselves
    config = {
        **base_config(database_url),
        "TESTING": False,
        "ENV_NAME": "production",
        "SECRET_KEY": "gunicorn-test-secret",
        "PUBLIC_BASE_URL": PUBLIC,
        "WTF_CSRF_ENABLED": True,
        "HUEY_IMMEDIATE": False,
        "RATELIMIT_STORAGE_URI": REDIS_URL if _redis_answers() else "memory://",
    }
    if _redis_answers():
        redis.Redis.from_url(REDIS_URL).flushdb()
    (tmp_path / "gunicorn_app.py").write_text(
        "import json, os\n"
        "from portal import create_app\n"
        "app = create_app(json.loads(os.environ['GUNICORN_TEST_CONFIG']))\n"
    )
    port = _free_port()
    workers = "2" if config["RATELIMIT_STORAGE_URI"] != "memory://" else "1"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            workers,
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "--chdir",
            str(tmp_path),
            "gunicorn_app:app",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}",
            "GUNICORN_TEST_CONFIG": json.dumps(config),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    served = Server(process, port)
    deadline = time.monotonic() + 60
    while True:
        try:
            status, _headers, _body = served.request("GET", "/sehat")
            if status == 200:
                break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(process.stderr.read().decode()[-3000:] if process.stderr else "")
        time.sleep(0.3)
    yield served
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def multipart(field: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = "----portal-test-boundary-7f3a"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def csrf_and_cookie(server: Server, path: str) -> tuple[str, str]:
    _status, headers, body = server.request("GET", path)
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body)
    assert token, body[:500]
    cookie = headers.get("set-cookie", "").split(";", 1)[0]
    return token.group(1).decode(), cookie


def test_a_forged_host_reaches_no_answer(server: Server, locked):
    _meeting, ba = locked
    for path in ("/masuk", f"/verifikasi/{ba.verify_code}", "/", "/transparansi/", "/sehat"):
        for headers in ({}, {"X-Forwarded-Host": EVIL, "X-Forwarded-Proto": "http"}):
            status, answer_headers, body = server.request("GET", path, host=EVIL, headers=headers)
            assert status < 500, (path, status)
            assert EVIL.encode() not in body, path
            assert EVIL not in json.dumps(answer_headers), (path, answer_headers)
    # The verification page names the configured address, not the request's.
    _status, _headers, body = server.request("GET", f"/verifikasi/{ba.verify_code}", host=EVIL)
    assert b"Asli" in body or b"asli" in body


def _verify_upload(server: Server, ba: BeritaAcara, data: bytes) -> tuple[int, bytes]:
    token, cookie = csrf_and_cookie(server, f"/verifikasi/{ba.verify_code}")
    body, content_type = multipart("pdf", "ba.pdf", data)
    status, _headers, page = server.request(
        "POST",
        f"/verifikasi/{ba.verify_code}",
        body=body + b"",
        headers={
            "Content-Type": content_type,
            "Cookie": cookie,
            "X-CSRFToken": token,
        },
    )
    return status, page


def test_bombs_and_oversized_uploads_cost_bounded_memory(server: Server, locked):
    _meeting, ba = locked
    status, page = _verify_upload(server, ba, pdf_bomb(padding=45 * MIB))
    assert status == 200 and b"Tidak asli" in page
    status, page = _verify_upload(server, ba, object_stream_bomb(padding=45 * MIB))
    assert status == 200 and b"PDF rusak atau tidak dapat dibaca." in page
    status, page = _verify_upload(server, ba, b"%PDF-1.7\n" + b"0" * (60 * MIB))
    assert status == 413 and b"Berkas terlalu besar" in page
    peaks = server.worker_peaks_mb()
    assert peaks and max(peaks) < RSS_LIMIT_MB, f"worker peaks {peaks} MB"
    # The genuine file still verifies on the same workers.
    status, page = _verify_upload(server, ba, ba.pdf)
    assert status == 200 and b"Tidak asli" not in page


def test_page_numbers_cannot_break_a_page(server: Server):
    for value in ("1000000000000000000", "-1", "abc", "9" * 300):
        status, _headers, _body = server.request("GET", f"/transparansi/?halaman={value}")
        assert status < 500, value


def test_a_post_without_its_csrf_token_is_refused(server: Server):
    body = b"username=camat&password=x"
    status, _headers, page = server.request(
        "POST",
        "/masuk",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 400
    assert b"Token keamanan formulir tidak ada" in page


def test_login_limits_hold_across_workers_and_ignore_forwarded_addresses(
    server: Server,
    sekretaris,
):
    def attempt(password: str, forwarded: str) -> int:
        token, cookie = csrf_and_cookie(server, "/masuk")
        body = io.BytesIO()
        body.write(
            f"csrf_token={token}&username={sekretaris.username}&password={password}".encode()
        )
        status, _headers, _page = server.request(
            "POST",
            "/masuk",
            body=body.getvalue(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookie,
                "X-Forwarded-For": forwarded,
            },
        )
        return status

    for n in range(5):
        assert attempt("salah-sandi-1", f"10.0.0.{n}") == 200
    # Five failures from this address, whatever X-Forwarded-For claimed: the sixth is refused
    # even with the right password, whichever worker answers.
    assert attempt(PASSWORD, "10.9.9.9") == 429
