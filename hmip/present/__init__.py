"""What a report shows: charts, rating badges, HTML display helpers and the banner.

Imported inside notebooks (``from hmip.present import charts, display``). Never imports
:mod:`hmip.build` (the architecture test keeps it so).
"""
