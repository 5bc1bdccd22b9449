"""WeasyPrint as the berita acara uses it: nothing fetched, the C XML parser, the collector off.

`_write_pdf` turns a part's or an overlay's HTML into PDF, in the parent and in forked
children (`workers._child`). WeasyPrint fetches nothing: `base_url` is None, the CSS is
inlined and the url fetcher refuses every URL but `data:`, failing the render if anything
tries. The templates are XHTML, so the tree comes from the C XML parser instead of WeasyPrint's
pure-Python HTML5 parser, which takes over for text the XML parser refuses.
"""

from __future__ import annotations

import gc
import re
from io import BytesIO
from xml.etree import ElementTree

from weasyprint import HTML
from weasyprint.urls import URLFetcher


class FetchRefused(ValueError):
    """The berita acara fetches nothing but data: URLs."""


class NoFetch(URLFetcher):
    """WeasyPrint's url fetcher for the berita acara: `data:` only; anything else fails the
    render."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data"}, fail_on_errors=True, timeout=1)

    def fetch(self, url: str, headers: dict | None = None):
        if not url.lower().startswith("data:"):
            raise FetchRefused(f"the berita acara fetches nothing: {url[:80]!r} refused")
        return super().fetch(url, headers)


def no_fetch(url: str):
    """A direct call of the berita acara's fetcher (tests): raises for anything but data:."""
    return NoFetch()(url)


_DOCTYPE = re.compile(r"^\s*<!doctype[^>]*>", re.IGNORECASE)


class _XHTML(HTML):
    """An HTML document whose tree comes from the C XML parser instead of WeasyPrint's pure
    Python HTML5 parser (7–10 % of a list part's time). The templates are well-formed XHTML
    (void elements closed, no named entities, Jinja's escaping is XML-safe); anything the XML
    parser refuses goes through the HTML parser instead (`_document`)."""

    def __init__(self, string: str, url_fetcher: URLFetcher) -> None:
        import cssselect2

        root = ElementTree.fromstring(_DOCTYPE.sub("", string, count=1))
        if root.tag != "html":
            raise ValueError("not an XHTML document")
        self.base_url = None
        self.url_fetcher = url_fetcher
        self.media_type = "print"
        self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
        self.etree_element = self.wrapper_element.etree_element


def _document(html: str) -> HTML:
    fetcher = NoFetch()
    try:
        return _XHTML(html, fetcher)
    except Exception:
        return HTML(string=html, base_url=None, url_fetcher=fetcher)


def _write_pdf(html: str, target: str | BytesIO) -> None:
    _document(html).write_pdf(target)


class _Gc:
    """The garbage collector off for a while (WeasyPrint's boxes are acyclic enough; the
    collector's passes over millions of objects cost 9–15 %), restored afterwards."""

    def __enter__(self) -> None:
        self.was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self.was_enabled:
            gc.enable()
