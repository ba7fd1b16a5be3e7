"""minutes-qa: question answering over local-government meeting minutes, with exact citations.

The installed distribution has this one top-level package. Its subpackages are the layers, each
kept in its own folder of the repository: ``index`` (write path), ``rag`` (read path), ``server``
(HTTP service), ``ui`` (chat front end, an HTTP client of the service), ``eval`` (harness) and
``cli`` (the ``minutes`` command). The modules at this level (settings, the JSON contract, the
HTTP client, text helpers) sit below every layer: they import nothing of them.
"""
