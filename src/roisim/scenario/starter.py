"""The starter scenario that ``roisim new`` writes: one input of each common kind, two benefit
lines, a build cost, a run cost and a stress case, with a comment on every field.

``STARTER`` is the text; ``write_starter(path)`` writes it to a new file and never overwrites.
"""

from __future__ import annotations

import os
from pathlib import Path

from roisim.errors import ScenarioError

STARTER = """\
# A starter roisim scenario. Replace every number with your own estimate, and say in a comment
# where it comes from (a quote, a timesheet, a ledger, an expert), so the committee can check it.
#   roisim validate case.toml      check the file and list what it contains
#   roisim run case.toml           NPV, IRR, payback, ROI and BCR as distributions
#   roisim sensitivity case.toml   which inputs drive the result
# Every field and distribution is described in docs/scenario-format.md.

# What the case is, over how long, at what discount rate.
[scenario]
# The title on every report and chart.
name = "Model monitoring and automated retraining"
# Free text, shown in reports.
description = "A platform that retrains our models automatically and watches them for drift"
currency = "GBP"                   # three-letter ISO 4217 code; for display only, never converted
horizon_years = 5                  # cash flows in years 0..5; year 0 is now (the build)
discount_rate = 0.08               # yearly, as a fraction (8%); or a distribution, a schedule
                                   # { schedule = [[0, 0.035], [31, 0.03]] }, "green-book-2018"
timing = "end-of-year"             # when each year's cash arrives: "end-of-year" or "mid-year"

# How many Monte Carlo runs, and the seed that makes the figures reproducible.
[simulation]
runs = 100_000                     # P(NPV > 0) to within about 0.3 points; --runs overrides
seed = 1                           # the same seed, the same figures anywhere; --seed overrides

# Named inputs: a number, a distribution (drawn once per run, or every year with
# per = "year") or an expression over other inputs. Each table may carry a unit and a
# description, which the reports show beside the input.
[inputs]
# PERT: an expert's "at least / most likely / at most" (min, mode, max).
manual_hours_per_month = { dist = "pert", min = 120, mode = 160, max = 240, unit = "h/month", \
description = "Hours a month spent retraining and checking models by hand" }
# Triangular: like PERT, but the extremes are as likely as the expert says.
automation_share = { dist = "triangular", min = 0.40, mode = 0.55, max = 0.70, \
description = "Share of that manual work the platform automates" }
# Normal with a mean and sd, truncated (not clipped) at lower = 40: never below £40/h.
hourly_rate = { dist = "normal", mean = 75, sd = 10, lower = 40, unit = "GBP/h", \
description = "Loaded cost of a data-science hour" }
# Lognormal from a 90% interval (p5, p95): positive and right-skewed, like most losses.
drift_losses_avoided = { dist = "lognormal", p5 = 20_000, p95 = 90_000, unit = "GBP/yr", \
description = "Yearly losses avoided by catching model drift early" }
# Uniform: every value from min to max equally likely.
adoption = { dist = "uniform", min = 0.60, max = 1.00, \
description = "Share of our models moved onto the platform" }
# Poisson: a whole-number count of events; per = "year" draws a fresh count every year.
incidents = { dist = "poisson", mean = 3, per = "year", \
description = "Model incidents a year that the platform catches" }
# A per-year input: a fresh PERT draw for every year of every run (a bill that varies).
cloud_bill = { dist = "pert", min = 20_000, mode = 25_000, max = 40_000, per = "year", \
unit = "GBP/yr", description = "Yearly cloud bill for running the platform" }
# A constant: { value = ... } can carry a description; a bare number works too.
incident_cost = { value = 8_000, unit = "GBP", \
description = "Cost of handling one incident by hand" }
# A derived input: an expression over other inputs (+ - * / **, min, max, where, ...).
hours_saved_per_year = { expr = "manual_hours_per_month * 12 * automation_share * adoption", \
unit = "h/yr", description = "Data-science hours saved a year" }

# A benefit line: repeat [[benefits]] for each one.
[[benefits]]
name = "Data-science hours saved"  # the line's label in reports; unique among the benefits
amount = "hours_saved_per_year * hourly_rate"  # a yearly amount: number, expression or table
years = "1.."                      # active from year 1 to the horizon ("2..4", "0", [1, 3] ...)
ramp = [0.5, 0.8]                  # 50% of the amount in year 1, 80% in year 2, then 100%
growth = 0.03                      # grows 3% a year (compounded) from its first year
description = "Manual retraining and checking that the platform takes over"  # free text

# A second benefit: drift losses and incident handling avoided.
[[benefits]]
name = "Drift losses and incidents avoided"  # unique among the benefits
# The amount: incidents is a fresh count each year, so this line varies from year to year.
amount = "adoption * drift_losses_avoided + incidents * incident_cost"
years = "1.."                      # from year 1 to the horizon

# The build cost: costs are positive amounts that are subtracted.
[[costs]]
name = "Platform build"            # unique among the costs
# The amount: a quote of £260k most likely, £200k at best, £420k if the integration is rebuilt.
amount = { dist = "pert", min = 200_000, mode = 260_000, max = 420_000 }
years = "0"                        # paid now, in year 0 only

# The run cost: the yearly cloud bill, drawn afresh every year.
[[costs]]
name = "Platform run cost"         # unique among the costs
amount = "cloud_bill"              # the per-year input above
years = "1.."                      # every year from year 1
growth = 0.04                      # prices rise 4% a year

# A stress case: what if things go wrong? roisim stress case.toml runs it on the same draws.
[[stress]]
name = "Build overruns by 30%, benefits a year late"  # unique; roisim run --stress NAME
scale = { "costs[0]" = 1.3 }       # the build (costs[0]) costs 30% more
delay = 1                          # every benefit line starts one year later
"""


def write_starter(path) -> Path:
    """Write the starter scenario to a new file ``path``; never overwrite.

    Parameters
    ----------
    path : str or os.PathLike
        The file to create, ending in ``.toml``; its directory must exist.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    ScenarioError
        When the file exists, its directory does not, the name does not end in ``.toml``, or
        it cannot be written; nothing is left behind.

    Examples
    --------
    >>> import tempfile, roisim
    >>> from roisim.scenario.starter import write_starter
    >>> target = write_starter(Path(tempfile.mkdtemp()) / "case.toml")
    >>> roisim.load_scenario(target).name
    'Model monitoring and automated retraining'
    """
    target = Path(path)
    where = str(path)
    if target.suffix != ".toml":
        raise ScenarioError(f"the file name must end in .toml, e.g. {target.stem or 'case'}.toml",
                            file=where)
    if target.exists() or target.is_symlink():
        raise ScenarioError("already exists; roisim new never overwrites a file (choose another "
                            "name or remove it first)", file=where)
    parent = target.parent
    if parent.exists() and not parent.is_dir():
        raise ScenarioError(f"{str(parent)!r} is not a directory", file=where)
    if not parent.is_dir():
        raise ScenarioError(f"the directory {str(parent)!r} does not exist", file=where)
    try:
        with open(target, "x", encoding="utf-8", newline="\n") as out:  # "x": never overwrite
            try:
                out.write(STARTER)
            except BaseException:
                out.close()
                os.unlink(target)
                raise
    except FileExistsError:
        raise ScenarioError("already exists; roisim new never overwrites a file", file=where) \
            from None
    except OSError as exc:
        raise ScenarioError(f"cannot write the file: {exc.strerror}", file=where) from None
    return target
