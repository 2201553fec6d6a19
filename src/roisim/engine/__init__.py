"""From a Scenario to arrays of runs.

* ``layout``: the output layout (metric names and row positions), defined once;
* ``plan``: the plan (structure, and the numbers the kernel reads), cached without its seed;
* ``sampling``: the uniform sources that give every random input its uniform (independent,
  Latin hypercube, Sobol; ``qmc``: Sobol's scrambled direction numbers from scipy);
* ``variants``: holding and scaling inputs, scaling and delaying lines (numbers only);
* ``keys``: the stream keys (seed and input name);
* ``tables``: the sampling tables;
* ``codegen``: the code generator and the kernel cache;
* ``run``, ``blocks``, ``distributed``: running ranges of runs, mergeable summaries, threads and
  Dask;
* ``precompile``: start-up and precompile.

The engine never prints and never parses options.
"""
