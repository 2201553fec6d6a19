"""The Model sheet: the central case as live Excel formulas, so a committee can audit it.

Layout (column A labels, column B single values, years 0..H from column E)::

    Year                     0  1  2 ...
    Discount rate   [B]                          named discount_rate (a schedule: one named
                                                 cell per entry, then the rate in force by year)
    Inputs          [B] per input (named after it), a per-year derived input across the years
    Lines           per line: active × ramp, growth rate, growth factor, amount, value
    Totals          benefits, costs, net cash flow, discount factors, discounted and
                    cumulative flows, and the helper rows of the paybacks and the IRR
    Results         NPV, IRR, payback, discounted payback, ROI, BCR (named model_*)

Every random input's cell holds its median and every constant its value (blue: change them);
everything else is a formula over those cells.  The numbers come from
``roisim.analysis.central`` and the formulas follow docs/methodology.md, sections 1-5.
"""

from __future__ import annotations

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from roisim.analysis.central import year_level
from roisim.report.inputs import describe
from roisim.report.workbook.formulas import excel_names, number, to_excel
from roisim.scenario.discounting import entry_in_force, entry_name

SHEET = "Model"
FIRST_YEAR_COL = 4
IRR_NOTE = (
    "IRR: Excel's IRR() started from roisim's central IRR as its guess. With one sign change "
    "in the net cash flow the root is unique and equals roisim's. With several sign changes "
    "(see the count above) Excel returns the root its iteration reaches from the guess, which "
    "may differ from roisim's rule (the smallest root in (-99%, 1000%]) once inputs change. "
    "Mid-year timing: the IRR of the half-year flows, converted to a yearly rate."
)


#: each result's defined name -> its key in ``central_case``
RESULT_KEYS = {"model_npv": "npv", "model_irr": "irr", "model_payback": "payback_years",
               "model_discounted_payback": "discounted_payback_years", "model_roi": "roi",
               "model_bcr": "bcr"}


class ModelSheet:
    """Writes the Model sheet of one scenario into a workbook; ``names`` maps each input to its
    defined name and ``cells`` each result to its cell."""

    def __init__(self, workbook, formats, scenario, flows, central: dict):
        self.wb, self.f, self.s, self.flows, self.central = (
            workbook, formats, scenario, flows, central)
        self.ws = workbook.add_worksheet(SHEET)
        self.horizon = scenario.horizon_years
        self.row = 0
        self.per_year = year_level(scenario)
        line_inputs = [ln.input_name for ln in scenario.lines if ln.amount.kind == "dist"]
        self.schedule = flows.schedule  # a discount schedule's entries in force, or None
        rates = ([entry_name(y) for y, _ in self.schedule] if self.schedule is not None
                 else ["discount_rate"])
        self.names = excel_names([*rates, *scenario.inputs, *line_inputs])
        self.year_rows: dict[str, int] = {}  # per-year derived input -> its row
        self.cells: dict[str, str] = {}

    # ---------------------------------------------------------------- cells and references
    def col(self, t: int) -> int:
        return FIRST_YEAR_COL + t

    def cell(self, row: int, t: int, absolute_row: bool = False) -> str:
        return xl_rowcol_to_cell(row, self.col(t), row_abs=absolute_row)

    def span(self, row: int, first: int = 0, last: int | None = None) -> str:
        last = self.horizon if last is None else last
        return f"{self.cell(row, first)}:{self.cell(row, last)}"

    def ref(self, t: int):
        """The reference of an input in year ``t``: its name, or its year cell."""
        def ref(name: str) -> str:
            if name in self.year_rows:
                return self.cell(self.year_rows[name], t)
            return self.names[name]
        return ref

    def year(self, t: int) -> str:
        return self.cell(self.year_row, t, absolute_row=True)

    def label(self, text: str, fmt=None, note: str | None = None, unit: str | None = None):
        self.ws.write_string(self.row, 0, text, fmt)
        if unit:
            self.ws.write_string(self.row, 2, unit)
        if note:
            self.ws.write_string(self.row, 3, note, self.f["note"])

    def named_value(self, name: str, value: float, fmt, note: str, unit=None) -> None:
        """A labelled input cell in column B, with the workbook-level name of the input."""
        self.label(name, note=note, unit=unit)
        self.ws.write_number(self.row, 1, value, fmt)
        self.wb.define_name(self.names[name], f"={SHEET}!$B${self.row + 1}")
        self.row += 1

    # ---------------------------------------------------------------- sections
    def write(self) -> None:
        ws = self.ws
        ws.set_column(0, 0, 44)
        ws.set_column(1, 1, 16)
        ws.set_column(2, 2, 10)
        ws.set_column(3, 3, 40)
        ws.set_column(FIRST_YEAR_COL, FIRST_YEAR_COL + 2 * self.horizon + 1, 13)
        ws.write_string(0, 0, f"Central case: {self.s.name}", self.f["title"])
        ws.write_string(1, 0, "Every random input at its median, every constant at its value "
                        "(blue cells: change them and the sheet recomputes).", self.f["note"])
        self.row = 3
        self.year_row = self.row
        self.label("Year", self.f["bold"])
        for t in range(self.horizon + 1):
            ws.write_number(self.row, self.col(t), t, self.f["bold"])
        self.row += 2
        self._rate()
        self._inputs()
        self.row += 1
        values = self._lines()
        self._totals(values)
        self._results()
        ws.freeze_panes(self.year_row + 1, 1)

    def _rate(self) -> None:
        rate = self.s.discount_rate
        if self.schedule is not None:
            self._schedule(rate)
        else:
            how = "constant" if isinstance(rate, float) else "median of " + describe(rate)
            self.named_value("discount_rate", self.flows.rate, self.f["input_pct"], how)
        self.label("timing", note="the formulas below follow this timing")
        self.ws.write_string(self.row, 1, self.s.timing)
        self.row += 2

    def _schedule(self, schedule) -> None:
        """A discount schedule: one named cell per entry in force, then the rate in force in
        each year (r_t, read by the discount factors)."""
        self.label("Discount schedule", self.f["bold"],
                   note=schedule.preset or "each rate in force from its year on")
        self.row += 1
        drawn = dict(schedule.entries)
        for year, value in self.schedule:
            rate = drawn[year]
            how = ("constant" if isinstance(rate, float) else "median of " + describe(rate))
            self.named_value(entry_name(year), value, self.f["input_pct"],
                             f"in force from year {year}; {how}")
        self.rate_row = self.row
        self.label("Discount rate in force", note="r_t: the entry in force in year t")
        in_force = entry_in_force(self.schedule, self.horizon)
        for t in range(self.horizon + 1):
            name = self.names[entry_name(self.schedule[in_force[t]][0])]
            self.ws.write_formula(self.row, self.col(t), f"={name}", self.f["pct"])
        self.row += 1

    def _inputs(self) -> None:
        self.label("Inputs", self.f["section"])
        self.row += 1
        for name, inp in self.s.inputs.items():
            if inp.kind == "constant":
                self.named_value(name, inp.value, self.f["input"], "constant")
            elif inp.kind == "distribution":
                every = ", the same every year" if name in self.per_year else ""
                self.named_value(name, self.flows.value(name), self.f["input"],
                                 f"median of {describe(inp.dist)}{every}", inp.dist.unit)
            elif name in self.per_year:
                self._year_input(name, inp)
            else:
                self.label(name, note=f"= {inp.text}")
                formula = "=" + to_excel(inp.expr, self.ref(0), self.year(0))
                self.ws.write_formula(self.row, 1, formula, self.f["value"])
                self.wb.define_name(self.names[name], f"={SHEET}!$B${self.row + 1}")
                self.row += 1
        for line in self.s.lines:
            if line.amount.kind == "dist":
                self.named_value(line.input_name, self.flows.value(line.input_name),
                                 self.f["input_money"], f"median of {describe(line.amount.dist)}")

    def _year_input(self, name: str, inp) -> None:
        """A derived input that changes by year: one formula per year column."""
        self.label(name, note=f"= {inp.text} (each year)")
        self.year_rows[name] = self.row
        for t in range(self.horizon + 1):
            formula = "=" + to_excel(inp.expr, self.ref(t), self.year(t))
            self.ws.write_formula(self.row, self.col(t), formula, self.f["value"])
        self.row += 1

    # ---------------------------------------------------------------- lines
    def _lines(self) -> dict[str, list[int]]:
        self.label("Cash-flow lines", self.f["section"],
                   note="value = active × ramp × growth factor × amount")
        self.row += 1
        rows: dict[str, list[int]] = {"benefits": [], "costs": []}
        for line in self.s.lines:
            rows[line.kind].append(self._line(line))
        return rows

    def _line(self, line) -> int:
        ws, kind = self.ws, "benefit" if line.kind == "benefits" else "cost"
        self.label(f"{line.name} ({kind})", self.f["bold"], note=line.path)
        self.row += 1
        mult_row = self.row
        self.label("  active × ramp", note=f"years {_years(line.years)}")
        multipliers = [0.0] * (self.horizon + 1)
        for k, t in enumerate(line.years):
            multipliers[t] = line.ramp[k] if k < len(line.ramp) else 1.0
        for t, m in enumerate(multipliers):
            ws.write_number(self.row, self.col(t), m, self.f["input_factor"])
        self.row += 1
        growth_row = self._growth(line)
        amount_row = self._amount(line)
        self.label("  value", note="money in the year")
        for t in range(self.horizon + 1):
            m, a = self.cell(mult_row, t), self.cell(amount_row, t)
            g = f"*{self.cell(growth_row, t)}" if growth_row is not None else ""
            ws.write_formula(self.row, self.col(t), f"=IF({m}=0,0,{m}{g}*{a})", self.f["money"])
        self.row += 1
        return self.row - 1

    def _growth(self, line) -> int | None:
        """The growth rate and factor rows; the factor compounds by calendar year after the
        first active year, up to the last (docs/methodology.md, section 1.1)."""
        if line.growth is None:
            return None
        ws, first, last = self.ws, line.years[0], line.years[-1]
        rate_row = self.row
        if line.growth.kind == "number":
            self.label("  growth rate", note="a number: change it here")
            ws.write_number(self.row, 1, line.growth.value, self.f["input_pct"])
            rate = lambda t: f"$B${rate_row + 1}"
        else:
            self.label("  growth rate", note=f"= {line.growth.text}")
            for t in range(first + 1, last + 1):
                formula = "=" + to_excel(line.growth.expr, self.ref(t), self.year(t))
                ws.write_formula(self.row, self.col(t), formula, self.f["pct"])
            rate = lambda t: self.cell(rate_row, t)
        self.row += 1
        self.label("  growth factor")
        for t in range(self.horizon + 1):
            if t <= first:
                ws.write_number(self.row, self.col(t), 1.0, self.f["factor"])
            else:
                prev = self.cell(self.row, t - 1)
                formula = f"={prev}*(1+{rate(t)})" if t <= last else f"={prev}"
                ws.write_formula(self.row, self.col(t), formula, self.f["factor"])
        self.row += 1
        return self.row - 1

    def _amount(self, line) -> int:
        """The amount row: a number (a labelled cell), the line's own distribution (its input
        cell) or an expression evaluated in each active year."""
        ws, amount = self.ws, line.amount
        row = self.row
        if amount.kind == "expr":
            self.label("  amount", note=f"= {amount.text}")
            for t in line.years:
                formula = "=" + to_excel(amount.expr, self.ref(t), self.year(t))
                ws.write_formula(row, self.col(t), formula, self.f["money"])
        else:
            if amount.kind == "number":
                self.label("  amount", note="a number: change it here")
                ws.write_number(row, 1, amount.value, self.f["input_money"])
                source = f"$B${row + 1}"
            else:
                self.label("  amount", note=f"the input '{line.input_name}'")
                source = self.names[line.input_name]
            for t in line.years:
                ws.write_formula(row, self.col(t), f"={source}", self.f["money"])
        self.row += 1
        return row

    # ---------------------------------------------------------------- totals and results
    def _sum_row(self, label: str, rows: list[int], fmt) -> int:
        self.label(label, self.f["bold"])
        for t in range(self.horizon + 1):
            terms = "+".join(self.cell(r, t) for r in rows) or "0"
            self.ws.write_formula(self.row, self.col(t), f"={terms}", fmt)
        self.row += 1
        return self.row - 1

    def _each_year(self, label: str, formula, fmt, note: str | None = None) -> int:
        """A row with ``formula(t)`` in each year column."""
        self.label(label, self.f["bold"] if note is None else None, note=note)
        for t in range(self.horizon + 1):
            self.ws.write_formula(self.row, self.col(t), "=" + formula(t), fmt)
        self.row += 1
        return self.row - 1

    def _totals(self, rows: dict[str, list[int]]) -> None:
        self.row += 1
        self.label("Totals", self.f["section"])
        self.row += 1
        money = self.f["money"]
        self.benefits = self._sum_row("Benefits", rows["benefits"], money)
        self.costs = self._sum_row("Costs", rows["costs"], money)
        b, c = self.benefits, self.costs
        self.net = self._each_year("Net cash flow",
                                   lambda t: f"{self.cell(b, t)}-{self.cell(c, t)}", money)
        disc, note = self._discount_formula()
        self.discount = self._each_year("Discount factor", disc, self.f["factor"], note)
        net, d = self.net, self.discount
        self.discounted = self._each_year(
            "Discounted cash flow", lambda t: f"{self.cell(net, t)}*{self.cell(d, t)}", money)
        self.cumulative = self._running("Cumulative cash flow", net)
        self.cumulative_d = self._running("Cumulative discounted cash flow", self.discounted)
        self.negative = self._last_negative("payback", self.cumulative)
        self.negative_d = self._last_negative("discounted payback", self.cumulative_d)
        self._signs()

    def _discount_formula(self):
        """(formula of year t, note) of the discount factors d_t (docs/methodology.md, 2)."""
        mid = self.s.timing == "mid-year"
        if self.schedule is None:
            rate = self.names["discount_rate"]
            if mid:
                return (lambda t: f"IF({self.year(t)}=0,1,1/(1+{rate})^({self.year(t)}-0.5))",
                        "1 in year 0, then (1+r)^-(t-0.5): mid-year")
            return lambda t: f"1/(1+{rate})^{self.year(t)}", "(1+r)^-t: end-of-year"
        r = lambda t: self.cell(self.rate_row, t)
        d = lambda t: self.cell(self.row, t)  # this row: the factor of year t

        def formula(t: int) -> str:
            if t == 0:
                return "1"
            if not mid:
                return f"{d(t - 1)}/(1+{r(t)})"
            if t == 1:
                return f"1/(1+{r(1)})^0.5"
            return f"{d(t - 1)}/((1+{r(t - 1)})^0.5*(1+{r(t)})^0.5)"
        if mid:
            return formula, "d_t = d_(t-1)/((1+r_(t-1))(1+r_t))^0.5, d_1 = (1+r_1)^-0.5: mid-year"
        return formula, "d_t = d_(t-1)/(1+r_t), d_0 = 1: end-of-year"

    def _running(self, label: str, source: int) -> int:
        def formula(t: int) -> str:
            here = self.cell(source, t)
            return here if t == 0 else f"{self.cell(self.row, t - 1)}+{here}"
        return self._each_year(label, formula, self.f["money"])

    def _last_negative(self, what: str, cumulative: int) -> int:
        return self._each_year(
            f"  year if the cumulative flow is < 0 ({what})",
            lambda t: f"IF({self.cell(cumulative, t)}<0,{self.year(t)},-1)",
            self.f["plain"], note="-1 otherwise; the payback starts from the last such year")

    def _signs(self) -> None:
        """The sign of the flow with zeros carried over, and the count of sign changes."""
        net = self.net

        def sign(t: int) -> str:
            here = self.cell(net, t)
            if t == 0:
                return f"SIGN({here})"
            return f"IF({here}=0,{self.cell(self.row, t - 1)},SIGN({here}))"
        signs = self._each_year("  sign of the net flow", sign, self.f["plain"],
                                note="zeros carry the previous sign")
        self.changes = self._each_year(
            "  sign change", lambda t: "0" if t == 0 else
            f"IF({self.cell(signs, t)}*{self.cell(signs, t - 1)}<0,1,0)", self.f["plain"],
            note="1 where the sign changes")
        if self.s.timing == "mid-year":
            self._half_years()

    def _half_years(self) -> None:
        """CF_0 at half-year 0 and CF_t at half-year 2t−1: their per-period IRR h gives the
        mid-year IRR (1+h)² − 1, since CF_t·(1+r)^−(t−½) = CF_t·(1+h)^−(2t−1)."""
        self.label("  half-year flows (mid-year IRR)", note="CF_t at half-year 2t-1")
        self.half_row = self.row
        for k in range(2 * self.horizon + 1):
            if k == 0:
                formula = f"={self.cell(self.net, 0)}"
            elif k % 2:
                formula = f"={self.cell(self.net, (k + 1) // 2)}"
            else:
                formula = "=0"
            self.ws.write_formula(self.row, FIRST_YEAR_COL + k, formula, self.f["money"])
        self.row += 1

    def _results(self) -> None:
        self.row += 1
        self.label("Results", self.f["section"], note="roisim's central case, for comparison")
        self.ws.write_string(self.row, 2, "roisim", self.f["bold"])
        self.row += 1
        for key, label, formula, fmt in self._result_formulas():
            self.label(label, self.f["bold"])
            self.ws.write_formula(self.row, 1, formula, self.f[fmt])
            value = self.central.get(RESULT_KEYS[key])
            if value is not None:
                self.ws.write_number(self.row, 2, value, self.f[fmt])
            else:
                self.ws.write_string(self.row, 2, "n/a")
            self.wb.define_name(key, f"={SHEET}!$B${self.row + 1}")
            self.cells[key] = f"B{self.row + 1}"
            self.row += 1
        self.label("sign changes in the net cash flow")
        self.ws.write_formula(self.row, 1, f"=SUM({self.span(self.changes)})", self.f["plain"])
        self.row += 1
        self.ws.merge_range(self.row, 0, self.row + 3, 3, IRR_NOTE, self.f["wrap"])
        self.row += 4

    def _result_formulas(self) -> list[tuple[str, str, str, str]]:
        net, h = self.net, self.horizon
        npv = self.cell(net, 0)
        if self.schedule is not None:  # no NPV(): the rate changes with the year
            npv = f"SUMPRODUCT({self.span(net)},{self.span(self.discount)})"
        elif h >= 1:
            rate = self.names["discount_rate"]
            later = f"NPV({rate},{self.span(net, 1)})"
            npv += f"+{later}*(1+{rate})^0.5" if self.s.timing == "mid-year" else f"+{later}"
        guess = self.central.get("irr")
        guess = 0.1 if guess is None else guess
        if self.s.timing == "mid-year":
            half = f"{self.cell(self.half_row, 0)}:" + xl_rowcol_to_cell(
                self.half_row, FIRST_YEAR_COL + 2 * h)
            irr = f"(1+IRR({half},{number((1 + guess) ** 0.5 - 1)}))^2-1"
        else:
            irr = f"IRR({self.span(net)},{number(guess)})"
        sums = {k: f"SUM({self.span(getattr(self, k))})" for k in ("benefits", "costs")}
        pv = {k: f"SUMPRODUCT({self.span(getattr(self, k))},{self.span(self.discount)})"
              for k in ("benefits", "costs")}
        return [
            ("model_npv", "NPV", "=" + npv, "money_bold"),
            ("model_irr", "IRR", f'=IFERROR({irr},"none")', "pct_bold"),
            ("model_payback", "Payback (years)",
             self._payback(self.negative, self.cumulative, self.net), "years_bold"),
            ("model_discounted_payback", "Discounted payback (years)",
             self._payback(self.negative_d, self.cumulative_d, self.discounted), "years_bold"),
            ("model_roi", "ROI", f'=IF({sums["costs"]}=0,"n/a",'
             f'({sums["benefits"]}-{sums["costs"]})/{sums["costs"]})', "pct_bold"),
            ("model_bcr", "BCR", f'=IF({pv["costs"]}=0,"n/a",{pv["benefits"]}/{pv["costs"]})',
             "ratio_bold"),
        ]

    def _payback(self, negative: int, cumulative: int, flows: int) -> str:
        """k + (−C_k)/v_{k+1}, k the last year with C_k < 0; 0 if none; beyond the horizon
        if k = H (docs/methodology.md, section 4)."""
        k = f"MAX({self.span(negative)})"
        c = f"INDEX({self.span(cumulative)},1,{k}+1)"
        v = f"INDEX({self.span(flows)},1,{k}+2)"
        beyond = f'"> {self.horizon} y"'
        return f"=IF({k}<0,0,IF({k}={self.horizon},{beyond},{k}+(-{c})/{v}))"


def _years(years: tuple[int, ...]) -> str:
    return ", ".join(str(t) for t in years)


def column_name(t: int) -> str:
    """The column letter of year ``t`` on the Model sheet."""
    return xl_col_to_name(FIRST_YEAR_COL + t)
