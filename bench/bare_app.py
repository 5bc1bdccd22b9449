"""The bare Flask page of bench/meeting_page.py: a constant HTML body of a requested size.

    gunicorn -w 2 -b 127.0.0.1:PORT --chdir bench bare_app:app
    GET /<n>  ->  200, text/html, exactly n bytes (built once per size, then served as is)

No database, no session, no templates: what Flask and gunicorn cost for a page of that size.
"""

from __future__ import annotations

from flask import Flask, Response

app = Flask(__name__)
_bodies: dict[int, bytes] = {}


def _body(size: int) -> bytes:
    head = (
        b"<!doctype html><html lang=id><head><meta charset=utf-8><title>Bare</title></head><body>"
    )
    tail = b"</body></html>\n"
    filler = max(0, size - len(head) - len(tail))
    line = b"<p>Musyawarah desa: daftar usulan dan keputusan.</p>\n"
    text = (line * (filler // len(line) + 1))[:filler]
    return (head + text + tail)[:size]


@app.get("/<int:size>")
def page(size: int) -> Response:
    body = _bodies.get(size)
    if body is None:
        body = _bodies.setdefault(size, _body(size))
    return Response(body, mimetype="text/html")
