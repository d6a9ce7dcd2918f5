"""CSV export of verified documents for the core systems (基幹系) and RPA.

- ``columns``: what a column writes (its source and transforms), the default columns;
- ``csvfile``: the bytes of the file (CRLF, quoting, formula escaping, UTF-8 BOM or CP932);
- ``mapping``: editing a form type version's mapping and its preview;
- ``services``: the acts (request, four-eyes approval, build, one-time download, expiry).

The screens are ``ocr/admin/exports.py``; the RPA command is ``manage.py export_batch``.
"""
