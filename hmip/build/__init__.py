"""How reports are built and published: the catalogue, the warm process and its workers, kernels,
rendering, the index, the scrutiny pack's writers, publishing and ``hmip run``. Imported by the CLI.

Importing this package changes nothing else: entry points that import nbformat call
:func:`hmip.build.lazy.defer_rfc3987_syntax` explicitly.
"""
