"""HMIP's rating rules: the framework as data, banding, ratings and explanations, and rating a table."""
