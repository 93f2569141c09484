"""The time-series t-test (``indicators.timeseries``): exact cases against closed forms.

Without lags the test is the classical pooled two-sample t-test of the gap after against before
the start, so scipy's ``ttest_ind`` must give the same p-value and interval. With lags the
variance, its bias correction and its degrees of freedom are checked against a dense
matrix computation written out here (u_hat' B u_hat, tr(BQ), tr(BQBQ)).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from indicators.conformal import Pair
from indicators.timeseries import fit, hac_effect, hac_variances, lag_count, pointwise_hac


def two_series(t0: int = 10, t1: int = 14, seed: int = 1, effect: float = -1.0) -> Pair:
    rng = np.random.default_rng(seed)
    y0 = 3 + rng.normal(0, 0.3, t0 + t1)
    y1 = 2 * y0 + rng.normal(0, 0.5, t0 + t1)
    y1[t0:] += effect
    pre = np.arange(t0 + t1) < t0
    return Pair(y1, y0, np.full(t0 + t1, 1000.0), pre, ~pre)


def test_without_lags_the_additive_test_is_the_pooled_two_sample_t_test() -> None:
    pair = two_series()
    gap = pair.y1 - pair.y0
    reference = stats.ttest_ind(gap[pair.post], gap[pair.pre], equal_var=True)
    test = hac_effect([pair], model="additief", alpha=0.05, lags=0)
    assert test.effect == pytest.approx(gap[pair.post].mean() - gap[pair.pre].mean(), abs=1e-12)
    assert test.df == pytest.approx(22)
    assert test.p_value == pytest.approx(reference.pvalue, rel=1e-9)
    interval = reference.confidence_interval(0.95)
    assert (test.ci_low, test.ci_high) == pytest.approx((interval.low, interval.high), rel=1e-9)


def test_without_lags_the_per_period_bands_have_the_closed_form() -> None:
    # gap_t - mean_pre: variance s2 (1 + 1/T0) after the start, s2 (1 - 1/T0) before it.
    pair = two_series()
    gap = pair.y1 - pair.y0
    pre, post = gap[pair.pre], gap[pair.post]
    s2 = (((pre - pre.mean()) ** 2).sum() + ((post - post.mean()) ** 2).sum()) / 22
    q = stats.t.ppf(0.975, 22)
    effect, low, high = pointwise_hac(
        [pair], np.ones((1, 24)), model="additief", alpha=0.05, lags=0
    )
    assert effect == pytest.approx(gap - pre.mean())
    expected = np.where(pair.pre, np.sqrt(s2 * (1 - 1 / 10)), np.sqrt(s2 * (1 + 1 / 10))) * q
    assert (high - effect) == pytest.approx(expected) and (effect - low) == pytest.approx(expected)


@pytest.mark.parametrize("model", ["relatief", "additief"])
def test_the_estimate_is_the_linear_form_in_the_errors(model: str) -> None:
    # y1 = kappa y0 + theta D + u (or y0 + level + theta D + u): theta_hat - theta = c'u and
    # u_hat = M u, exactly, for any errors u.
    rng = np.random.default_rng(4)
    y0 = 2 + rng.random(30)
    u = rng.normal(0, 0.4, 30)
    post = np.arange(30) >= 12
    y1 = (1.7 * y0 if model == "relatief" else y0 + 1.7) - 0.8 * post + u
    fitted = fit(Pair(y1, y0, 500 + rng.random(30) * 50, ~post, post), model)
    assert fitted.effect - (-0.8) == pytest.approx(fitted.contrast @ u, abs=1e-12)
    assert fitted.residual == pytest.approx(fitted.residual_maker() @ u, abs=1e-12)
    # A single period's gap: gap_t - tau_t is row t of the period contrasts times u.
    tau = np.where(post, -0.8, 0.0)
    assert fitted.gap - tau == pytest.approx(fitted.period_contrasts() @ u, abs=1e-12)


def dense_reference(
    pairs: list[Pair], forms: np.ndarray, lags: int, model: str
) -> tuple[np.ndarray, np.ndarray]:
    """The bias-corrected HAC variance and df from dense (G*T) x (G*T) matrices."""
    fits = [fit(p, model) for p in pairs]
    g, t = forms.shape[1], forms.shape[2]
    u = np.concatenate([f.residual for f in fits])
    valid = np.concatenate([f.valid for f in fits]).astype(float)
    n = float(np.any([f.valid for f in fits], axis=0).sum())
    s = u.reshape(g, t) @ u.reshape(g, t).T / n if g > 1 else np.eye(1)
    sigma0 = np.kron(s, np.eye(t)) * np.outer(valid, valid)
    m = np.zeros((g * t, g * t))
    for i, f in enumerate(fits):
        m[i * t : (i + 1) * t, i * t : (i + 1) * t] = f.residual_maker()
    q = m @ sigma0 @ m.T
    lag = np.abs(np.subtract.outer(np.arange(t), np.arange(t)))
    kernel = np.where(lag <= lags, 1 - lag / (lags + 1), 0.0)
    variances, dfs = [], []
    for form in forms:
        a = form.reshape(-1)
        # V = sum_{t,s} sum_{g,h} A_gt A_hs k(|t-s|) Gamma_gh(t-s), Gamma(d) = sum_r u_{r+d} u_r'
        b = np.zeros((g * t, g * t))
        for i in range(g):
            for j in range(g):
                for d in range(-lags, lags + 1):
                    shift = np.eye(t, k=-d)  # (r + d, r)
                    s_d = sum(form[i, x + d] * form[j, x] for x in range(t) if 0 <= x + d < t)
                    b[i * t : (i + 1) * t, j * t : (j + 1) * t] += kernel[0, abs(d)] * s_d * shift
        expected = np.trace(b @ q)
        variances.append((u @ b @ u) * (a @ sigma0 @ a) / expected)
        dfs.append(expected**2 / np.trace(b @ q @ b @ q))
    return np.array(variances), np.array(dfs)


@pytest.mark.parametrize("model", ["relatief", "additief"])
@pytest.mark.parametrize("lags", [1, 3])
def test_hac_variance_and_df_match_the_dense_computation(model: str, lags: int) -> None:
    rng = np.random.default_rng(7)
    t = 20
    y0 = 3 + rng.normal(0, 0.3, t)
    pairs = []
    for start in (8, 12):  # two cohorts against one comparison line, a missing period each
        valid = np.ones(t, dtype=bool)
        valid[rng.integers(0, t)] = False
        pre = (np.arange(t) < start) & valid
        pairs.append(
            Pair(2 * y0 + rng.normal(0, 0.5, t), y0, 100 + rng.random(t), pre, ~pre & valid)
        )
    fits = [fit(p, model) for p in pairs]
    for chosen in (pairs[:1], pairs):
        chosen_fits = fits[: len(chosen)]
        mask = np.vstack([f.valid for f in chosen_fits])[None]
        forms = rng.normal(size=(4, len(chosen), t)) * mask
        variance, df = hac_variances(chosen_fits, forms, lags)
        ref_variance, ref_df = dense_reference(chosen, forms, lags, model)
        assert variance == pytest.approx(ref_variance, rel=1e-9)
        assert df == pytest.approx(ref_df, rel=1e-9)


def test_cohorts_are_weighted_by_their_post_noemer() -> None:
    first, second = two_series(seed=2, effect=-1.0), two_series(seed=3, effect=-3.0)
    second = Pair(second.y1, second.y0, second.w * 3, second.pre, second.post)
    both = hac_effect([first, second], model="relatief", alpha=0.05)
    one = [hac_effect([p], model="relatief", alpha=0.05).effect for p in (first, second)]
    assert both.effect == pytest.approx((one[0] + 3 * one[1]) / 4)
    assert both.ci_low < both.effect < both.ci_high


def test_noiseless_series_give_a_point_interval() -> None:
    y0 = np.linspace(1.0, 2.0, 20)
    post = np.arange(20) >= 8
    pair = Pair(2.5 * y0 - 0.5 * post, y0, np.ones(20), ~post, post)
    test = hac_effect([pair], model="relatief", alpha=0.05)
    assert test.effect == pytest.approx(-0.5) and test.se == pytest.approx(0.0, abs=1e-12)
    assert test.ci_low == pytest.approx(-0.5) and test.p_value == 0.0


def test_lags_follow_newey_west_and_stay_below_the_series_length() -> None:
    assert [lag_count(n) for n in (2, 10, 24, 72, 200)] == [1, 2, 2, 3, 4]
    assert math.isnan(hac_effect([two_series(t1=0)], model="relatief", alpha=0.05).effect)
