"""Charts, HTML display, the banner, the Jupyter kernel and the report runner."""

from hmip.report.lazy import defer_rfc3987_syntax

defer_rfc3987_syntax()  # before anything imports nbformat: saves ~1.8 s per process (see hmip.report.lazy)
