"""What every roisim command shares: the runs option type and the one-line error exit."""

from __future__ import annotations

import sys

import click

from roisim.errors import ScenarioError


class RunsType(click.ParamType):
    """Accepts 200000, 200_000, 2e5 and 1e6."""

    name = "N"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        text = str(value).replace("_", "").replace(",", "").strip()
        try:
            v = float(text)
        except ValueError:
            self.fail(
                f"expected a whole number of runs such as 200000 or 1e6, got {value!r}", param, ctx
            )
        if not v.is_integer() or v < 1:
            self.fail(f"expected a whole number of runs >= 1, got {value!r}", param, ctx)
        return int(v)


class OneLineUsage(click.ClickException):
    """A command-line mistake (bad option value, unknown option, missing argument), shown as
    one line like every other roisim error, instead of click's usage block."""

    exit_code = 2

    def __init__(self, err: click.UsageError):
        super().__init__(err.format_message())
        ctx = err.ctx
        self.help = f"{ctx.command_path} --help" if ctx is not None else "roisim --help"

    def show(self, file=None) -> None:
        click.echo(f"error: {self.message} (see '{self.help}')", err=True)


class OneLineErrors(click.Group):
    """The roisim group: usage errors of any of its commands print as one line, exit 2."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as err:
            raise OneLineUsage(err) from None

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.UsageError as err:
            raise OneLineUsage(err) from None


def fail(err: ScenarioError) -> None:
    """Print a user error as one line and exit 2."""
    click.echo(f"error: {err}", err=True)
    sys.exit(2)


RUNS_HELP = "Number of runs, e.g. 200000 or 1e6 (default: [simulation].runs)."
SEED_HELP = "Random seed (default: [simulation].seed)."
SET_HELP = "Override a value in the file, e.g. inputs.analyst_rate.mean=50 (repeatable)."
THREADS_HELP = "Worker threads (default: NUMBA_NUM_THREADS or all CPUs)."


def runs_option(help: str = RUNS_HELP):
    """``--runs N`` (200000, 200_000, 2e5)."""
    return click.option("--runs", type=RunsType(), default=None, help=help)


def seed_option(help: str = SEED_HELP):
    """``--seed S``, a whole number from 0 to 2**63 - 1."""
    return click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=None, help=help)


def set_option(help: str = SET_HELP):
    """``--set PATH=VALUE``, repeatable, collected as ``overrides``."""
    return click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=help)


SUMMARY_ONLY_HELP = ("Keep no per-run data: stream blocks of runs into summaries "
                     "(bounded memory; the same figures).")


def summary_only_option(help: str = SUMMARY_ONLY_HELP):
    """``--summary-only``."""
    return click.option("--summary-only", is_flag=True, help=help)


def threads_option(help: str = THREADS_HELP):
    """``--threads N``."""
    return click.option("--threads", type=click.IntRange(1, 1024), default=None, help=help)


PRECISION_HELP = ("Run in rounds of doubling runs (from --runs) until the interval of a figure "
                  "is narrow enough: METRIC=TOLERANCE, absolute (npv.mean=2000, "
                  "npv.prob_positive=0.002) or relative (npv.p5=1%); replaces the file's "
                  "[simulation] precision, keeping its confidence and max_runs.")


def precision_option(help: str = PRECISION_HELP):
    """``--precision METRIC=TOLERANCE`` (``roisim.scenario.precision.precision_option``)."""
    return click.option("--precision", default=None, metavar="METRIC=TOL", help=help)


class SamplingType(click.ParamType):
    """Accepts random, lhs or sobol (with a close-match suggestion otherwise)."""

    name = "random|lhs|sobol"

    def convert(self, value, param, ctx):
        from roisim.scenario.validate import sampling_name

        try:
            return sampling_name(str(value).lower() if value else value, "--sampling")
        except ScenarioError as err:
            self.fail(err.message, param, ctx)


SAMPLING_HELP = ("How runs are sampled: random, lhs (Latin hypercube) or sobol (scrambled "
                 "Sobol replicates) (default: [simulation].sampling, else random).")


def sampling_option(help: str = SAMPLING_HELP):
    """``--sampling random|lhs|sobol``: the file's ``[simulation] sampling``, overridden."""
    return click.option("--sampling", type=SamplingType(), default=None, help=help)


def sampling_overrides(sampling: str | None) -> list[str]:
    """The ``--set`` override that ``--sampling`` stands for (none when it is not given)."""
    return [f'simulation.sampling="{sampling}"'] if sampling else []


def scenario_options(set_help: str = SET_HELP):
    """``--runs``, ``--seed``, ``--set``, ``--threads`` and ``--sampling``: the options of every
    command that runs one scenario (``run`` adds more of its own)."""
    options = (runs_option(), seed_option(), set_option(set_help), threads_option(),
               sampling_option())

    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def command_line(words: list[str], runs=None, seed=None, overrides=(), flags=()) -> str:
    """The shell command ``words`` followed by ``--runs``, ``--seed`` (when not None), one
    ``--set`` per override and ``flags``: what a report prints so that it can be regenerated.

    >>> command_line(["roisim", "report", "s.toml", "-o", "a b.html"], 2000, None, ["x=1"])
    "roisim report s.toml -o 'a b.html' --runs 2000 --set x=1"
    """
    import shlex

    words = list(words)
    for name, value in (("--runs", runs), ("--seed", seed)):
        if value is not None:
            words += [name, str(value)]
    for item in overrides:
        words += ["--set", item]
    return shlex.join(words + list(flags))


def warn_sampling(scenario, runs=None) -> None:
    """Print on stderr the sampling method's warnings for ``runs`` runs of ``scenario`` (the
    file's runs when None), e.g. a Sobol replicate that is not a power of two; the summaries
    keep the same lines in ``warnings``."""
    from roisim.analysis.replicates import sampling_warnings

    count = scenario.runs if runs is None else runs
    for line in sampling_warnings(scenario.sampling, scenario.replicates, count):
        click.echo(f"warning: {line}", err=True)
