"""From a Scenario to arrays of runs: the plan and its output layout, sampling tables, the code
generator, running ranges of runs, sources (threads and Dask), start-up and precompile.

The engine never prints and never parses options.
"""
