"""Accuracy of roisim's EVPPI estimator (spline regression on the normal score), measured.

Run: python benchmarks/evppi_accuracy.py [replications]
(numpy draws; the estimator is an array function)

Cases, each with its EVPPI in closed form or by quadrature:
  linear   NPV = -20 + 3·X1 - 2.5·X2 + 5·X3 + 0·X4 + X5, independent normals (the test model)
  at-zero  NPV = X + Y with E[NPV] = 0, X an input with no effect... (worst case for the upward
           bias: every fitted value sits at the decision boundary)
  parabola NPV = 10·(U - 0.5)² - 1 + N(0, 3²), U uniform: E[NPV | U] is not linear
"""
import sys

import numpy as np
from scipy import integrate, stats

from roisim.analysis.value_of_information import evpi, evppi


def normal_loss(m, s):
    return s * stats.norm.pdf(m / s) + m * stats.norm.cdf(m / s) - max(m, 0.0)


MU = np.array([10.0, 5.0, 3.0, 1.0, 2.0])
SD = np.array([4.0, 6.0, 2.0, 1.0, 0.5])
B = np.array([3.0, -2.5, 5.0, 0.0, 1.0])
A = -20.0


def linear(rng, n):
    x = rng.normal(MU, SD, (n, 5))
    return x, A + x @ B


def at_zero(rng, n):
    x = rng.normal(0.0, 1.0, (n, 2))
    return x, 20.0 * x[:, 1] + 0.0 * x[:, 0]      # input 0 has no effect, mean NPV 0


def parabola(rng, n):
    u = rng.uniform(size=(n, 1))
    return u, 10 * (u[:, 0] - 0.5) ** 2 - 1 + rng.normal(0, 3.0, n)


def truths():
    m = A + B @ MU
    lin = [normal_loss(m, abs(b) * s) if b else 0.0 for b, s in zip(B, SD)]
    g = lambda u: max(10 * (u - 0.5) ** 2 - 1, 0.0)
    par = integrate.quad(g, 0, 1, points=[0.5 - 0.1**0.5, 0.5 + 0.1**0.5])[0]
    return {"linear": lin, "at-zero": [0.0, normal_loss(0.0, 20.0)], "parabola": [par]}


def study(reps=100, sizes=(100_000, 200_000), knots=(0, 4, 8, 16)):
    cases = {"linear": linear, "at-zero": at_zero, "parabola": parabola}
    truth = truths()
    print("case | input | n | knots | true EVPPI | mean estimate | bias | sd | RMSE | EVPI")
    for name, make in cases.items():
        for n in sizes:
            est = {k: [] for k in knots}
            whole = []
            for r in range(reps):
                x, y = make(np.random.default_rng(1000 + r), n)
                whole.append(evpi(y)[0])
                for k in knots:
                    est[k].append([evppi(x[:, i], y, knots=k) for i in range(x.shape[1])])
            for k in knots:
                e = np.array(est[k])
                for i, t in enumerate(truth[name]):
                    col = e[:, i]
                    rmse = float(np.sqrt(((col - t) ** 2).mean()))
                    print(f"{name} | x{i + 1} | {n:,} | {k} | {t:.4f} | {col.mean():.4f} | "
                          f"{col.mean() - t:+.4f} | {col.std(ddof=1):.4f} | {rmse:.4f} | "
                          f"{np.mean(whole):.3f}")


if __name__ == "__main__":
    study(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
