"""Scenario texts shared by several test modules."""

# Per-year inputs (normal noise, poisson incidents), a random discount rate, a payback that
# often never happens (inf), IRR sometimes undefined (all flows negative), several IRRs now and
# then.
MIXED = """
[scenario]
name = "mixed"
currency = "GBP"
horizon_years = 4
discount_rate = { dist = "uniform", min = 0.03, max = 0.12 }

[inputs]
build = { dist = "pert", min = 80, mode = 100, max = 160 }
saving = { dist = "normal", mean = 40, sd = 18 }
noise = { dist = "normal", mean = 0, sd = 12, per = "year" }
incidents = { dist = "poisson", mean = 1.5, per = "year" }

[[benefits]]
name = "Saving"
amount = "saving + noise"

[[costs]]
name = "Build"
amount = "build"
years = "0"

[[costs]]
name = "Incidents"
amount = "incidents * 4"
years = "1.."
"""
