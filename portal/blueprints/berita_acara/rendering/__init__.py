"""The berita acara PDF: WeasyPrint from Jinja templates, rendered in parallel page groups.

    from portal.blueprints.berita_acara.rendering.pipeline import render_ba_pdf
    from portal.blueprints.berita_acara.rendering.embedded import read_embedded

    result = render_ba_pdf(canonical, sha256=digest, verify_url=url)   # in an app context
    result.pdf, result.pages, result.seconds, result.parts
    data, info = read_embedded(pdf)   # keputusan.json and the Portal* docinfo keys

How it is fast (a meeting of 2,000 families is ~60 pages; WeasyPrint's cost is ~0.3 ms per table
cell plus ~0.6 ms per piece of text, almost all of it Python layout code):

1. Parts. The berita acara itself and Lampiran I (daftar hadir) are the first two parts; they
   start rendering at once. Meanwhile the parent plans the list attachments (II–VI): the height
   of every row is known from the font's advance widths (fontTools, on the file fontconfig picks
   for the family; an upper bound of what Pango does), so the rows are cut into pages before
   WeasyPrint sees them, one small fixed-layout table per page, a new family kept with its
   members. Runs of pages of about equal cost become the other parts (`PARTS_PER_WORKER` per
   worker).
2. Workers. Each part renders in a fresh child forked from the parent (`multiprocessing`'s fork
   context), at most `workers` at a time, the costliest first. A child only runs WeasyPrint on
   an HTML string the parent made, with the garbage collector off, writes the PDF to a temporary
   file and leaves with `os._exit`. The HTML is parsed by the C XML parser (the templates are
   XHTML) instead of WeasyPrint's pure-Python HTML5 parser, which falls back for text XML
   refuses. Small documents (< `IN_PROCESS_ROWS` rows) render in-process, nothing forked.
3. Page numbers. The parts carry no page furniture. The parts are merged with pikepdf and two
   overlays are laid over every page: one page that is the same everywhere (footer rule, BA
   number, short hash, QR code to `verify_url`, the draft watermark), shared as one form
   XObject, and a cheap document of one page per page with only the running head and "Halaman
   X dari Y". The parent renders both while the children work (the page total comes from the
   first two parts and the plan); if WeasyPrint ever makes a different number of pages than
   planned, the numbers are rendered again from the real count, so they are always exact.
4. The canonical bytes are attached as `keputusan.json` (application/json) and the docinfo
   carries /Title, /Subject, /PortalSha256 and /PortalVerification.

WeasyPrint fetches nothing: `base_url` is None, the CSS (pdf.css) is inlined and the url fetcher
refuses every URL but `data:`, failing the render if anything tries.

Integration: call inside an app context (templates, gettext, REGISTER_NAME) and outside a web
request. One render at a time per process (a module lock), so two threads of one worker do not
fork while the other is inside WeasyPrint. Children inherit the parent's open sockets and
database connections; they never use them and end with `os._exit`, so nothing is closed or
flushed on the parent's behalf.

The modules, in the order a render uses them:

    metrics    the font's advance widths; `wrapped_lines`, an upper bound of Pango's line breaks
    page_plan  page geometry (as in pdf.css), the list tables, `paginate`, PAGE_SLACK
    lampiran   Lampiran II–VI: columns and rows from the canonical document, decision labels
    context    `build_context`: everything the templates need, computed once in the parent
    parts      the parts (front, hadir, list runs) and their costs; templates, pdf.css sections
    weasy      WeasyPrint locked down: the data:-only fetcher, the XHTML parser, `_write_pdf`
    workers    the fork pool (or in-process for small documents), PART_TIMEOUT, RenderError
    assembly   merge, the two overlays, running heads, outline, docinfo, the attachment
    embedded   keputusan.json: its name, reading it back from an untrusted PDF with caps
    pipeline   `render_ba_pdf`: the module lock, the phases in order, RenderResult

Nothing is re-exported here: import a name from its module, and monkeypatch it there, in the
module that looks it up at call time (`pipeline.render_ba_pdf`, `workers._write_pdf`,
`page_plan.PAGE_SLACK`, `embedded.EMBEDDED_MAX_BYTES`); a re-exported copy would not be seen.
"""
