"""From runs to figures: mergeable partials, exact summaries and Monte Carlo intervals.

One module per method, each with a small functional API.  ``schema`` defines the typed run
summary that every report reads; ``summary`` computes it exactly from blocks of runs;
``intervals`` holds the interval formulas; ``simulate`` runs a scenario into a ``Result``.
"""
