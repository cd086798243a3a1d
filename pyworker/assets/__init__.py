"""Static assets (``assets = { directory, ... }``), served as Cloudflare's asset worker serves them.

``config`` reads the ``assets`` table, ``files`` maps a URL path to a file of the directory
(never outside it) with its strong ETag, ``ignore`` applies ``.assetsignore``, ``rules`` parses
``_headers``/``_redirects``, ``intent`` is ``html_handling`` and ``not_found_handling``,
``serve`` makes the response (304, ``Range``, ``HEAD``, custom headers), ``router`` decides
between the assets and the worker (``run_worker_first``). Content types come from
``content_types``, one table of ours, so every machine answers the same.
"""
