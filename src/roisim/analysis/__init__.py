"""From runs to figures: mergeable partials, exact summaries and Monte Carlo intervals.

One module per method, each with a small functional API.
"""
