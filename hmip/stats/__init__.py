"""Pure statistics on plain pandas objects: intervals, sampling uncertainty, funnel limits and ranks,
disproportionality and disclosure control. Nothing here knows of notebooks or reports.

Seed policy (see CONTRIBUTING.md): every simulation takes a ``seed`` and makes its own generator;
analyses default to :data:`DEFAULT_SEED`.
"""

#: The default seed of every analysis simulation (posterior draws, rank ranges, resampling).
DEFAULT_SEED = 2022
