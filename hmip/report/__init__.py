"""Charts, HTML display, the banner, the Jupyter kernel and the report runner."""
