"""One module per report: what it computes (from the notebook's parameters) and what it says."""
