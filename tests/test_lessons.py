"""What each lesson page shows, read back from its tables and figure data (AppTest)."""

import base64
import json
import math

import numpy as np
import pytest

from test_pages import app, assert_healthy, display_math, tables
from test_pages import chart_spec as spec
from test_pages import figure_specs as chart_specs


def as_number(text):
    """A number as common.number writes it (3.2×10⁻²⁵) read back."""
    return float(str(text).replace("×10", "e").translate(str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")))


def unpack(value):
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).astype(np.float64)
    return np.asarray(value, dtype=np.float64)


def test_ema_table_recomputes_the_notes_week():
    at = app("ema", ema_beta="0.3")
    assert_healthy(at)
    table = tables(at)[0]
    np.testing.assert_allclose(table.iloc[:3, 2], [7.0, 13.3, 12.39])
    corrected = [10.0, 13.3 / (1 - 0.3**2), 12.39 / (1 - 0.3**3)]
    assert list(table.iloc[:3, 3]) == [float(f"{v:.4g}") for v in corrected]  # 4 digits shown, rounded
    np.testing.assert_allclose(table.iloc[:4, 5], [0.7, 0.91, 0.973, 0.9919])  # not the notes' 91 %, 91.6 %


def test_ema_year_curves_start_low_without_bias_correction():
    raw = chart_specs(app("ema", ema_beta="0.98"))[0]
    corrected = chart_specs(app("ema", ema_beta="0.98", ema_correct="true"))[0]
    green_raw, green_fixed = unpack(raw["data"][3]["y"]), unpack(corrected["data"][3]["y"])
    temperatures = unpack(raw["data"][0]["y"])
    assert green_raw[0] == pytest.approx(0.02 * temperatures[0], rel=1e-6)  # (1−β)·x₁: near 0 °C
    assert green_fixed[0] == pytest.approx(temperatures[0], rel=1e-6)  # corrected: the first day itself
    assert raw["player"]["steps"] == len(temperatures) - 1 and raw["player"]["grow"]  # Play traces the year


def test_minibatch_variance_falls_like_one_over_b():
    at = app("minibatch")
    assert_healthy(at)
    variance = next(s for s in chart_specs(at) if s["layout"]["xaxis"].get("type") == "log")
    sizes = unpack(variance["data"][0]["x"])
    measured, law, exact = (unpack(trace["y"]) for trace in variance["data"][:3])
    np.testing.assert_allclose(law * sizes, law[0] * sizes[0], rtol=1e-9)  # σ²/B exactly
    finite = np.isfinite(measured)
    np.testing.assert_allclose(measured[finite], exact[finite], rtol=0.25)  # 300 draws each
    assert np.all(np.diff(measured[finite]) < 0)


def test_minibatch_counts_updates_per_epoch():
    at = app("minibatch", mb_samples="100", mb_batch="16")
    assert [m.value for m in at.metric][:2] == ["7", "16"]  # ⌈100/16⌉ = 7 updates of 16 samples


def test_momentum_equal_step_makes_heavy_ball_follow_the_ema_path():
    race = chart_specs(app("momentum", mo_equal="true"))[0]
    lines = [t for t in race["data"] if t.get("mode") == "lines" and t.get("legendgroup")]
    ema, heavy = unpack(lines[1]["x"]), unpack(lines[2]["x"])
    np.testing.assert_allclose(heavy, ema, rtol=1e-5, atol=1e-6)  # float32 on the wire
    unequal = chart_specs(app("momentum", mo_equal="false"))[0]
    lines = [t for t in unequal["data"] if t.get("mode") == "lines" and t.get("legendgroup")]
    assert not np.allclose(unpack(lines[1]["x"]), unpack(lines[2]["x"]))


def test_adaptive_methods_lose_their_edge_on_a_rotated_ravine():
    table = tables(app("adaptive"), numbers=False)[0]
    rmsprop = table.iloc[1]
    assert rmsprop.iloc[1].isdigit() and not rmsprop.iloc[2].isdigit()  # aligned: arrives; rotated: not


def test_adam_cold_start_ratio():
    at = app("adam")
    metric = next(m for m in at.metric if "uncorrected" in m.label)
    assert float(metric.value) == pytest.approx((1 - 0.9) / math.sqrt(1 - 0.999), rel=1e-3)
    at = app("adam", adam_beta2="0.9")
    metric = next(m for m in at.metric if "uncorrected" in m.label)
    assert float(metric.value) == pytest.approx((1 - 0.9) / math.sqrt(1 - 0.9), rel=1e-3)


def test_adam_ledger_first_step():
    """The ledger counts updates from t = 1, as the cold-start chart does: m₁ = (1−β₁)·g₁, m̂₁ = g₁,
    and the first step is α against the gradient's sign."""
    at = app("adam")
    assert at.slider(key="adam_ledger").value == 1 and at.slider(key="adam_ledger").min == 1
    ledger = tables(at)[0].set_index("quantity")
    g = ledger.loc["gₜ"].to_numpy(dtype=float)
    np.testing.assert_allclose(ledger.loc["mₜ"].to_numpy(dtype=float), 0.1 * g)
    np.testing.assert_allclose(ledger.loc["m̂ₜ"].to_numpy(dtype=float), g)
    np.testing.assert_allclose(ledger.loc["Δθₜ"].to_numpy(dtype=float), -0.2 * np.sign(g), rtol=1e-6)
    cold = chart_specs(at)[1]
    assert unpack(cold["data"][0]["x"])[0] == 1  # the cold-start chart's first step is t = 1 too


def test_decay_tables_recompute_the_notes():
    table = tables(app("decay"))[0].set_index("epoch")
    assert list(table.loc[[0, 9, 10, 20], "Step decay"]) == [0.1, 0.1, 0.05, 0.025]
    assert list(table.loc[[1, 2], "Exponential e^(−kt)"]) == [0.09048, 0.08187]
    assert list(table.loc[[1, 2], "1/t decay"]) == [0.09524, 0.09091]


def decay_distances(at):
    distance = next(s for s in chart_specs(at) if s["layout"]["yaxis"].get("type") == "log")
    return [unpack(trace["y"]) for trace in distance["data"][:2]]


def test_decay_settles_while_constant_rate_hovers():
    """At the defaults decay ends more than 3 times closer; the metric is the chart's own ratio, and
    both distances grow in proportion to σ (gradient descent on a quadratic is linear in the noise)."""
    at = app("decay")
    assert_healthy(at)
    constant, decayed = decay_distances(at)
    assert constant[-1] > 3 * decayed[-1]
    assert constant[-1] == pytest.approx(np.mean(constant[len(constant) // 2:]), rel=0.1)  # it hovers
    metric = next(m for m in at.metric if "closer" in m.label)
    assert metric.value == f"{constant[-1] / decayed[-1]:.2f}×"
    louder = decay_distances(app("decay", dc_noise="2"))
    np.testing.assert_allclose([louder[0][-1], louder[1][-1]], [2 * constant[-1], 2 * decayed[-1]], rtol=0.02)
    assert [spec["layout"]["yaxis"].get("type") for spec in chart_specs(at)[:2]][1] == "log"  # the stage


@pytest.mark.parametrize("params, shown", [({}, r"\alpha_0\cdot e^{-k\, t} = 0.2\cdot e^{-0.1\, t}"),
                                           ({"dc_schedule": "step", "dc_gamma": "0.3", "dc_every": "7",
                                             "dc_lr0": "0.05"}, r"= 0.05\cdot 0.3^{\lfloor t/7 \rfloor}")])
def test_decay_formula_shows_the_current_values(params, shown):
    formulas = display_math(app("decay", **params))
    assert any(shown in f for f in formulas), formulas


def test_decay_credits_the_notes_only_with_their_three_schedules():
    at = app("decay")
    table = tables(at)[0]
    assert list(table.columns) == ["epoch", "Step decay", "Exponential e^(−kt)", "1/t decay"]
    intro = next(m.value for m in at.markdown if "Your schedule (solid" in m.value)
    assert "not in the notes" in intro


def test_decay_large_then_small_escapes_the_local_minimum():
    race = chart_specs(app("decay"))[-1]
    heads = [t for t in race["data"] if t.get("mode") == "markers" and t.get("hoverinfo") == "skip"]
    small, large, both = (np.array([h["x"][0], h["y"][0]]) for h in heads)
    assert np.hypot(*(small - [2.83, 0])) < 0.05  # stuck in the dip
    assert np.hypot(*both) < 0.05  # settled in the global minimum
    assert np.hypot(*large) > 0.2  # still bouncing


def test_saddle_escape_time_grows_like_log_one_over_eps():
    """GD on x² − y²: the measured escape steps against ln(1/ε) have slope 1/ln(1 + 2α)."""
    for lr in (0.1, 0.05):
        chart = spec(app("saddle", sd_lr=str(lr)), "sd_escape")
        gd = next(trace for trace in chart["data"] if trace["name"] == "Gradient descent")
        x, steps = unpack(gd["x"]), unpack(gd["y"])
        finite = np.isfinite(steps)
        assert finite.sum() >= 20
        slope = np.polyfit(x[finite], steps[finite], 1)[0]
        assert slope == pytest.approx(1 / math.log(1 + 2 * lr), rel=0.05)


def test_saddle_noise_momentum_and_adam_escape_sooner():
    chart = spec(app("saddle", sd_eps="1e-08"), "sd_escape")
    at_smallest = {trace["name"]: unpack(trace["y"])[0] for trace in chart["data"] if trace["mode"] == "markers"}
    gd = at_smallest.pop("Gradient descent")
    assert gd == math.ceil(math.log(1 / 1e-8) / math.log(1.2))  # |θ₂| = ε·1.2ᵗ reaches 1
    assert all(steps < gd for steps in at_smallest.values()), at_smallest


@pytest.mark.parametrize("step", ["0", "30", "60"])
def test_saddle_hessian_eigenvalues_are_plus_and_minus_two(step):
    table = next(frame for frame in tables(app("saddle", sd_inspect=step))
                 if "eigenvalue λ" in frame.columns)
    np.testing.assert_allclose(sorted(table["eigenvalue λ"]), [-2.0, 2.0])
    assert list(table["along it the surface"]) == ["curves down", "curves up"]


def test_saddle_inspector_takes_a_point_and_reads_the_monkey_saddle():
    at = app("saddle", sd_surface="monkey_saddle", sd_custom="true", sd_px="0.5", sd_py="0.25")
    assert_healthy(at)
    table = next(frame for frame in tables(at) if "eigenvalue λ" in frame.columns)
    x, y = 0.5, 0.25  # Hessian [[6x, −6y], [−6y, −6x]]: eigenvalues ±6·√(x² + y²)
    shown = [float(f"{v:.4g}") for v in (-6 * math.hypot(x, y), 6 * math.hypot(x, y))]  # 4 digits shown
    assert sorted(table["eigenvalue λ"]) == shown


@pytest.mark.parametrize("surface", ["saddle", "monkey_saddle", "plateau"])
def test_saddle_plateau_is_shaded_where_the_gradient_vanishes(surface):
    chart = spec(app("saddle", sd_surface=surface), "sd_gradnorm")
    gd = unpack(chart["data"][0]["y"])
    bands = chart["layout"]["shapes"]
    assert bands
    for band in bands:
        inside = np.arange(len(gd))[(np.arange(len(gd)) > band["x0"]) & (np.arange(len(gd)) < band["x1"])]
        assert np.all(gd[inside] < 0.05)  # the default stall threshold


def test_sharp_flat_small_batches_find_the_flat_basin():
    at = app("sharp_flat")
    assert_healthy(at)
    chart = spec(at, "sf_by_batch")
    batches, flat = unpack(chart["data"][0]["x"]), unpack(chart["data"][0]["y"])
    assert list(batches) == [1, 2, 4, 8, 16, 32, 64, 128, 256]
    assert np.all(np.diff(flat) <= 0.02), flat  # falls as B grows (a little ensemble noise allowed)
    assert flat[0] > 0.8 and flat[-1] < 0.1


def test_sharp_flat_large_batches_stay_near_their_start():
    chart = spec(app("sharp_flat"), "sf_travelled")
    travelled = unpack(chart["data"][0]["y"])
    assert travelled[-1] < 0.5 < 2 < travelled[0]


def test_sharp_flat_sharpness_and_test_gap():
    table = tables(app("sharp_flat"))[0].set_index("minimum")
    import surfaces
    where = surfaces.get("sharp_flat")
    # λ_max at each minimum from the Gaussian well's closed form: 1/w² (+ the weak bowl's 2c = 0.04), within
    # the pull of the other well
    assert table.loc["sharp", "λ_max of the Hessian"] == pytest.approx(1 / 0.25**2 + 0.04, rel=0.01)
    assert table.loc["flat", "λ_max of the Hessian"] == pytest.approx(1 / 1.0**2 + 0.04, rel=0.01)
    assert table.loc["sharp", "test − train"] > 5 * table.loc["flat", "test − train"]
    shifted = np.array(where.minima[0]) - 0.2 * np.array([math.cos(math.pi / 4), math.sin(math.pi / 4)])
    assert table.loc["sharp", "test loss"] == float(f"{where.f(*shifted):.4g}")  # 4 digits shown


def test_sharp_flat_quiet_runs_stay_in_the_sharp_basin_past_the_stability_edge():
    """With B = 256 no run leaves below α = 2/λ_max; far above it (α = 0.4) they all do."""
    chart = spec(app("sharp_flat"), "sf_by_rate")
    quiet = next(trace for trace in chart["data"] if trace["name"] == "B = 256")
    rates, share = unpack(quiet["x"]), unpack(quiet["y"])
    edge = chart["layout"]["shapes"][0]["x0"]
    assert edge == pytest.approx(2 / (1 / 0.25**2 + 0.04), rel=0.01)
    assert np.all(share[rates <= edge] == 0) and share[-1] > 0.9


def test_the_gradient_cloud_keeps_one_scale_across_batch_sizes():
    """The cloud must visibly shrink as B grows: one fixed scale (a single sample's ±3.5σ) for
    every B, not a scale per B (which made every cloud look the same size)."""
    layouts = {b: spec(app("minibatch", mb_batch=str(b)), "mb_cloud")["layout"] for b in (1, 8, 128)}
    ranges = {b: (tuple(l["xaxis"]["range"]), tuple(l["yaxis"]["range"])) for b, l in layouts.items()}
    assert ranges[1] == ranges[8] == ranges[128]
    widths = {}
    for b in (1, 128):
        draws = spec(app("minibatch", mb_batch=str(b)), "mb_cloud")["data"][0]
        widths[b] = np.std(unpack(draws["x"]))
    assert widths[128] < widths[1] / 5


@pytest.mark.parametrize("schedule, shown", [("step", {"dc_gamma", "dc_every"}), ("geometric", {"dc_gamma"}),
                                             ("exponential", {"dc_k"}), ("cosine", set()), ("constant", set())])
def test_decay_shows_only_the_knobs_of_its_schedule(schedule, shown):
    at = app("decay", dc_schedule=schedule, dc_gamma="0.7", dc_every="5", dc_k="0.1")
    assert_healthy(at)
    present = {w.key for kind in ("slider", "select_slider") for w in getattr(at, kind)} & {"dc_gamma", "dc_every", "dc_k"}
    assert present == shown
    assert not {key for key in at.query_params} & ({"dc_gamma", "dc_every", "dc_k"} - shown)


def test_paired_ravines_play_under_one_player():
    at = app("adaptive")
    players = at.get("component_instance")
    pair = next(e for e in players if "chart-rms_ravines" in e.proto.id)
    from test_pages import player_specs
    aligned, rotated = player_specs(pair)
    assert aligned["player"]["steps"] == rotated["player"]["steps"] == 150
    assert aligned["layout"]["title"]["text"] != rotated["layout"]["title"]["text"]


def test_the_ema_page_opens_on_the_year():
    """The projector stage: the page's key chart (the year, under Play) is its first chart."""
    first = chart_specs(app("ema", projector="true"))[0]
    assert first["player"]["steps"] >= 364


def race_paths(race):
    """The (x, y) points of each run on a race map, in legend order."""
    lines = [trace for trace in race["data"] if trace.get("mode") == "lines" and trace.get("legendgroup")]
    return [np.stack([unpack(line["x"]), unpack(line["y"])], axis=1) for line in lines]


def test_momentum_defaults_show_gd_zig_zag_and_momentum_swing():
    """At the defaults (α = 0.038, near GD's edge 2/κ = 0.04) GD's step across the valley turns at almost
    every step and momentum's rarely; the table's counts are the race's own paths recounted."""
    at = app("momentum")
    assert_healthy(at)
    assert at.select_slider(key="mo_lr").value == 0.038
    gd, ema = race_paths(chart_specs(at)[0])[:2]
    turns = [int(np.sum(np.diff(np.diff(path[:, 1]) > 0) != 0)) for path in (gd, ema)]  # the valley is unrotated
    table = tables(at)[0]
    assert list(table.iloc[:2, 2]) == turns
    assert turns[0] >= 0.95 * 200 and turns[1] <= 0.2 * 200
    assert int(table.iloc[1, 1]) < int(table.iloc[0, 1])  # and momentum arrives first
    notice = next(m.value for m in at.markdown if "Press ▶ Play" in m.value)
    assert f"turns {turns[0]} times" in notice and f"only {turns[1]} times" in notice


@pytest.mark.parametrize("lr, diverges", [(0.025, False), (0.03, True)])
def test_momentum_nesterov_edge_is_the_closed_form(lr, diverges):
    """Nesterov on a quadratic of curvature κ is stable for α < 2(1+β)/((1+2β)κ) = 0.0271 at κ = 50,
    β = 0.9: the page's runs and its notice agree with that bound."""
    at = app("momentum", mo_equal="false", mo_lr=str(lr))
    nesterov_diverged = any("Nesterov" in w.value for w in at.warning)
    assert nesterov_diverged == diverges
    assert any("α < 0.0271" in m.value for m in app("momentum").markdown)


def across_turns(path, degrees):
    """Direction changes of the step across the elongated bowl's valley, recounted from map points."""
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    across = np.diff(-s * path[:, 0] + c * path[:, 1])
    return int(np.sum(across[1:] * across[:-1] < 0))


def test_adaptive_rmsprop_walks_the_rotated_floor_without_zig_zagging():
    at = app("adaptive")
    assert_healthy(at)
    aligned, rotated = (race_paths(spec) for spec in chart_specs(at)[:2])
    way_in = [int(np.argmax(np.hypot(*path.T) < 0.1)) for path in rotated]  # first step within 0.1
    gd_turns, rms_turns = (across_turns(path[:k + 1], 45.0) for path, k in zip(rotated[:2], way_in[:2]))
    assert rms_turns <= 2 and gd_turns >= 0.9 * way_in[0]
    notice = next(m.value for m in at.markdown if "Press ▶ Play" in m.value)
    assert f"{way_in[1]} steps before it first comes within 0.1" in notice and f"turns {rms_turns} times" in notice
    assert f"{gd_turns} times in {way_in[0]} steps" in notice


def test_adaptive_rmsprop_is_pushed_back_out_near_the_minimum():
    """The run comes within 1e-4 and ends 100 times further away; its θ₁ rate climbs more than 100-fold
    (the charts' data). The table shows that end distance beside the first arrival."""
    at = app("adaptive")
    rms = race_paths(chart_specs(at)[0])[1]
    distance = np.hypot(*rms.T)
    assert distance.min() < 1e-4 and distance[-1] > 100 * distance.min()
    table = tables(at)[0]
    assert float(table.iloc[1, 3]) == pytest.approx(distance[-1], rel=2e-3)  # 3 digits shown
    rates = chart_specs(at)[2]
    theta1 = unpack(rates["data"][0]["y"])
    assert theta1.max() > 100 * theta1.min()
    near = next(m.value for m in at.markdown if "pushed back out" in m.value)
    assert f"at step {int(np.argmin(distance))}" in near
    assert "settle" not in at.markdown[0].value + at.markdown[1].value  # the intro no longer says so


@pytest.mark.parametrize("condition", [50, 20])
def test_adaptive_gd_diverges_beyond_two_over_kappa_and_rmsprop_never(condition):
    at = app("adaptive", rms_condition=str(condition))
    table = next(d for d in tables(at, numbers=False) if list(d.columns)[0] == "α")
    for _, (lr, gd, rms) in table.iterrows():
        assert ("diverged" in gd) == (float(lr) > 2.0 / condition)
        assert "diverged" not in rms
    rms_end = [float(v) for v in table.iloc[:, 2]]
    assert rms_end[-1] > rms_end[-3] > rms_end[2]  # it only gets about α close


def test_adaptive_sparse_feature_rate_ratio():
    text = next(m.value for m in app("adaptive", rms_steps="200").markdown if "one sample of 20" in m.value)
    assert "non-zero 10 times" in text and f"{math.sqrt(200 / 10):.3g} times larger" in text


def test_ema_your_beta_is_named_by_its_colour():
    at = app("ema")  # β = 0.9 is the lecture's red curve: no blue one is drawn, and the text says so
    year = chart_specs(at)[0]
    assert "#0072B2" not in json.dumps(year["data"])
    intro = next(m.value for m in at.markdown if "Seattle weather record" in m.value)
    assert "the red curve" in intro and "blue curve" not in intro
    at = app("ema", ema_beta="0.8")
    assert "#0072B2" in json.dumps(chart_specs(at)[0]["data"])
    assert "Your β is the blue curve." in next(m.value for m in at.markdown if "Seattle weather record" in m.value)


def test_ema_uncorrected_start_takes_months_to_catch_up():
    """Recounted from the year chart's green curves with and without correction (2012, β = 0.98)."""
    raw = unpack(chart_specs(app("ema", ema_beta="0.98"))[0]["data"][3]["y"])
    fixed = unpack(chart_specs(app("ema", ema_beta="0.98", ema_correct="true"))[0]["data"][3]["y"])
    day = int(np.nonzero(np.abs(raw - fixed) >= 2.0)[0][-1]) + 2  # 1-based day after the last wide gap
    assert day > 60
    notice = next(m.value for m in app("ema").markdown if "takes months" in m.value)
    assert f"only from day {day}." in notice


@pytest.mark.parametrize("beta", ["0.99", "0.9", "0"])
def test_ema_lag_uses_one_definition(beta):
    """Days to follow 1 − 1/e of a jump: the EMA after k days has moved 1 − βᵏ, an n-day sliding mean k/n."""
    at = app("ema", ema_beta=beta)
    table = next(d for d in tables(at) if "numbers kept" in d.columns)
    follow = 1 - 1 / math.e
    for _, row in table.iterrows():
        name, kept, lag = row.iloc[0], row.iloc[1], row.iloc[2]
        if name.startswith("exponential"):
            b = float(name.split("= ")[1])
            assert 1 - b**lag >= follow > (1 - b ** (lag - 1) if lag > 1 else 0)
        elif name.startswith("sliding"):
            assert lag / kept >= follow > (lag - 1) / kept
    window = table.iloc[-2, 0]
    assert window == ("sliding mean of 1 day (the data itself)" if beta == "0" else
                      f"sliding mean of {round(1 / (1 - float(beta)))} days")
    if beta == "0.99":
        assert table.iloc[-2, 2] == 64  # ⌈100·(1 − 1/e)⌉, not ⌈0.63·100⌉ = 63


def test_ema_window_wobbles_more_than_the_average():
    import pandas as pd
    at = app("ema")
    temperatures = unpack(chart_specs(at)[0]["data"][0]["y"])
    sliding = pd.Series(temperatures).rolling(10, min_periods=1).mean()
    window_wobble = float(np.std(np.diff(sliding)))
    text = next(m.value for m in at.markdown if "sliding mean over the last 10 days" in m.value)
    assert f"wobbles more from day to day ({window_wobble:.2f} °C against" in text
    ema_wobble = float(text.split(f"({window_wobble:.2f} °C against ")[1].split(" °C")[0])
    assert window_wobble > ema_wobble


def test_ema_week_means_recompute_the_notes():
    at = app("ema")
    values = {m.label: m.value for m in at.metric}
    assert values["plain mean of the week"] == f"{96 / 7:.4g}"  # the notes' 13.7
    assert values["weekend weighted ×3"] == f"{148 / 11:.4g}"  # the notes' 13.45
    at = app("ema", ema_weekend="1")
    values = {m.label: m.value for m in at.metric}
    assert values["weekend weighted ×1"] == values["plain mean of the week"]


def test_ema_first_step_and_correction_factors():
    at = app("ema")
    text = next(m.value for m in at.markdown if "The notes' example" in m.value)
    assert "v₁ = 0.02·40 = 0.8 (the notes print 8)" in text and "= 40." in text
    table = next(d for d in tables(at) if "correction factor 1/(1 − βᵗ)" in d.columns)
    steps = [int(label.split("= ")[1]) for label in table.iloc[:, 0]]
    assert steps == [10, 20, 30, 50]  # k·n_eff at β = 0.9
    assert list(table.iloc[:, 1]) == [round(1 / (1 - 0.9**s), 4) for s in steps]  # 4 decimals shown


def test_adam_intro_agrees_with_the_cold_start_chart():
    """DESIGN §9: uncorrected first steps are (1−β₁)/√(1−β₂) ≈ 3.16 times longer, not "too small"; and
    the second correction is 1 − 0.999⁵⁰ ≈ 0.0488 at t = 50, not gone."""
    at = app("adam")
    cold = next(s for s in chart_specs(at) if "without bias correction" in json.dumps(s["data"]))
    corrected, uncorrected = (unpack(trace["y"]) for trace in cold["data"][:2])
    ratio = (1 - 0.9) / math.sqrt(1 - 0.999)
    assert uncorrected[0] / corrected[0] == pytest.approx(ratio, rel=1e-4)
    intro = at.markdown[0].value
    assert f"≈ {ratio:.3g} times too long" in intro
    assert f"only {1 - 0.999**50:.3g} at t = 50" in next(m.value for m in at.markdown if "t = 50" in m.value)
    notices = next(m.value for m in app("adam", adam_beta1="0.8").markdown if "Set **β₂ = 0.9**" in m.value)
    assert f"drops to {0.2 / math.sqrt(0.1):.3g}" in notices and f"{0.2 / math.sqrt(0.001):.3g} times too long" in notices


def test_adam_rates_per_coordinate_against_one_global_rate():
    at = app("adam")
    rates = next(s for s in chart_specs(at) if "one global α" in json.dumps(s["data"], ensure_ascii=False))
    theta1, theta2, global_rate = (unpack(trace["y"]) for trace in rates["data"][:3])
    np.testing.assert_allclose(global_rate, 0.2)
    spread = theta1 / theta2
    text = next(m.value for m in at.markdown if "multiplies every coordinate" in m.value)
    assert f"between {spread.min():.3g} and {spread.max():.3g} times" in text


def test_minibatch_batch_cost_falls_at_every_step_beside_the_noisy_cost():
    at = app("minibatch")
    cost = next(s for s in chart_specs(at) if "batch GD cost" in json.dumps(s["data"]))
    noisy, _, batch_gd = (unpack(trace["y"]) for trace in cost["data"][:3])
    assert np.all(np.diff(batch_gd) < 0) and np.sum(np.diff(noisy) > 0) > 0.2 * len(noisy)
    np.testing.assert_array_equal(unpack(cost["data"][2]["x"]), np.arange(5) * 8)  # one update per 8 = 256/32


def test_minibatch_notation_and_the_notes_count():
    at = app("minibatch", mb_samples="100", mb_batch="16")
    text = next(m.value for m in at.markdown if "Round brackets" in m.value)
    assert "⌈m/B⌉ = 7 mini-batches" in text and "the last holds 4 samples" in text  # 100 − 6·16
    assert f"give {5_000_000 // 1_000:,} mini-batches".replace(",", " ") in text
    guide = next(m.value for m in at.markdown if "\n- m = " in m.value)
    assert "100 < 2 000" in guide and "16 is a power of two" in guide and "outside the usual range" in guide
    guide = next(m.value for m in app("minibatch", mb_samples="1024", mb_batch="128").markdown
                 if "\n- m = " in m.value)
    assert "lies in the usual range" in guide


def test_regularization_l1_reaches_exact_zero_and_l2_never():
    """The table's minima recomputed independently: L2 by (H + λI)⁻¹Hθ*, L1 by the optimality
    conditions (θ₂ = 0 and ∂₁f + λ = 0, with |∂₂f| ≤ λ) for the default bowl."""
    import surfaces
    at = app("regularization")
    assert_healthy(at)
    table = tables(at)[0]
    where = surfaces.get("quadratic", curvature_1=1.0, curvature_2=4.0, angle=30.0, centre_x=1.5, centre_y=0.5)
    hessian, centre = where.hessian(0, 0), np.array([1.5, 0.5])
    ridge = np.linalg.solve(hessian + 1.0 * np.eye(2), hessian @ centre)
    assert [float(v) for v in table.iloc[1, 1:3]] == pytest.approx(list(ridge), rel=1e-3)
    theta1 = centre[0] + (hessian[0, 1] * centre[1] - 1.0) / hessian[0, 0]  # ∂₁f = 0 − λ with θ₂ = 0
    assert float(table.iloc[2, 1]) == pytest.approx(theta1, rel=1e-3) and table.iloc[2, 2] == "0 (exactly)"
    assert abs((hessian @ (np.array([theta1, 0.0]) - centre))[1]) <= 1.0  # θ₂ = 0 is optimal
    paths = chart_specs(at)[:2]
    assert all(spec["player"]["grow"] for spec in paths)  # Play traces both paths as λ grows
    l2_path, l1_path = (race_paths_any(spec) for spec in paths)
    assert np.all(l2_path[1:, 1] != 0.0) and np.any(l1_path[:, 1] == 0.0)


def race_paths_any(spec):
    line = next(trace for trace in spec["data"] if trace.get("mode") == "lines" and "as λ grows" in trace.get("name", ""))
    return np.stack([unpack(line["x"]), unpack(line["y"])], axis=1)


def test_regularization_proximal_steps_hit_zero_and_subgradient_chatters():
    at = app("regularization")
    table = next(d for d in tables(at) if "steps at exactly θ₂ = 0" in " ".join(d.columns))
    proximal, subgradient = table.iloc[0, 1], table.iloc[1, 1]
    assert proximal == 1001 and subgradient == 0  # of the last 1 001 of 2 000 steps
    theta2 = [unpack(trace["y"]) for trace in chart_specs(at)[3]["data"][:2]]
    assert np.sum(theta2[0][1000:] == 0.0) == proximal  # recounted from the chart (float32 keeps exact zeros)
    signs = np.sign(theta2[1][1000:])
    assert np.sum(signs[1:] != signs[:-1]) > 50  # the subgradient step flips sign again and again


def test_regularization_adam_l2_reaches_the_ridge_minimum_and_adamw_the_box():
    """Adam with L2 ends at the L2 minimum; AdamW at the minimum of f inside ‖θ‖∞ ≤ 1/λ (Xie and Li),
    found here by a brute-force grid over the box, independently of surfaces.box_minimum."""
    import surfaces
    at = app("regularization")
    table = next(d for d in tables(at) if "distance from the L2 minimum at the end" in d.columns)
    ends = table.iloc[:, 1:3].astype(float).to_numpy()
    where = surfaces.get("quadratic", curvature_1=1.0, curvature_2=4.0, angle=30.0, centre_x=1.5, centre_y=0.5)
    hessian, centre = where.hessian(0, 0), np.array([1.5, 0.5])
    ridge = np.linalg.solve(hessian + np.eye(2), hessian @ centre)
    grid = np.linspace(-1.0, 1.0, 2001)
    gx, gy = np.meshgrid(grid, grid)
    values = where.f(gx, gy)
    k = np.unravel_index(np.argmin(values), values.shape)
    box = np.array([gx[k], gy[k]])
    assert np.hypot(*(ends[0] - ridge)) < 1e-3 and np.hypot(*(ends[1] - ridge)) < 5e-3
    assert np.hypot(*(ends[2] - box)) < 5e-3 and np.hypot(*(ends[2] - ridge)) > 0.1
    text = next(m.value for m in at.markdown if "Where they end up" in m.value)
    assert f"({box[0]:.4g}, {box[1]:.3g}" in text  # 1 and 0.3001


def test_playground_offers_adamw_weight_decay_and_l1():
    at = app("playground", pg_o0_name="adamw", pg_o1_name="gd", pg_o1_l1="0.5", pg_o1_l1_mode="subgradient",
             pg_o2_weight_decay="0.1", pg_surface="quadratic")
    assert_healthy(at)
    assert at.select_slider(key="pg_o0_weight_decay").value == 0.01  # AdamW's torch default
    assert at.selectbox(key="pg_o1_l1_mode").value == "subgradient"
    rules = " ".join(e.value for e in at.markdown if "$$" in e.value)  # common.update_rules: one element
    assert r"(1 - 0.2\cdot 0.01)" in rules and r"0.5\,\operatorname{sign}\theta_{t-1}" in rules


def test_normalization_condition_numbers_are_the_closed_forms():
    """κ from the page against closed forms on the same data: the raw covariance's eigenvalues by
    the 2×2 formula, and for z-scored features (1 + |ρ|)/(1 − |ρ|) with ρ the sample correlation."""
    import surfaces
    at = app("normalization")
    assert_healthy(at)
    table = tables(at)[0].set_index("features")
    X, _ = surfaces.feature_samples()
    a, c = X.var(axis=0)
    b = np.mean((X[:, 0] - X[:, 0].mean()) * (X[:, 1] - X[:, 1].mean()))
    root = math.sqrt(((a - c) / 2) ** 2 + b * b)
    raw_kappa = ((a + c) / 2 + root) / ((a + c) / 2 - root)
    rho = abs(np.corrcoef(X.T)[0, 1])
    assert as_number(table.loc["raw features", "κ = λ_max/λ_min"]) == pytest.approx(raw_kappa, rel=1e-3)
    assert as_number(table.loc["z-score (standard deviation)", "κ = λ_max/λ_min"]) == pytest.approx(
        (1 + rho) / (1 - rho), rel=1e-3)
    assert as_number(table.loc["raw features", "largest stable α = 2/λ_max"]) == pytest.approx(
        2 / ((a + c) / 2 + root), rel=1e-2)
    assert table.loc["raw features", "iterations measured"].startswith("more than")
    measured = int(table.loc["z-score (standard deviation)", "iterations measured"])
    bound = int(table.loc["z-score (standard deviation)", "iterations at the best α (bound)"])
    assert 1 <= measured <= bound


@pytest.mark.parametrize("scaling", ["0.25", "0.5", "0.75"])
def test_normalization_kappa_falls_continuously_with_the_scaling(scaling):
    at = app("normalization", fn_scaling=scaling)
    kappas = [row for row in tables(at)[0].iloc[:, 3]]
    ours = as_number(kappas[-1])
    # dividing feature j by σ_j^s scales H's entries by σ_i^−s σ_j^−s: with nearly uncorrelated features
    # κ ≈ (σ_salary/σ_age)^(2(1−s)) — the raw ratio of variances raised to 1 − s
    import surfaces
    sd = surfaces.feature_samples()[0].std(axis=0)
    assert ours == pytest.approx((sd[1] / sd[0]) ** (2 * (1 - float(scaling))), rel=0.1)


def test_normalization_race_arrives_only_when_normalised_and_new_data_uses_training_statistics():
    at = app("normalization")
    raw, scaled = (race_paths(spec)[0] for spec in chart_specs(at)[:2])
    import surfaces
    raw_min = surfaces.get("features", scaling=0.0).minima[0]
    z_min = surfaces.get("features", scaling=1.0).minima[0]
    assert np.hypot(*(raw[-1] - raw[0])) < 0.01 * np.hypot(*raw_min)  # hardly moves from w = 0
    assert np.hypot(*(scaled[-1] - z_min)) < 1e-3 * np.hypot(*z_min)  # arrives
    table = next(d for d in tables(at) if "statistics used" in d.columns)
    X, y = surfaces.feature_samples()
    w = np.linalg.lstsq(np.column_stack([X, np.ones(len(y))]), y, rcond=None)[0]  # the same model, unscaled
    expected = w[:2] @ [40.0, 60_000.0] + w[2]  # a linear model's prediction does not depend on the scaling
    assert float(table.iloc[0, -1]) == pytest.approx(expected, rel=1e-3)
    assert float(table.iloc[1, -1]) != pytest.approx(expected, rel=1e-2)


def test_batchnorm_surfaces_are_the_neuron_fitted_directly():
    """The two maps against a direct fit on the same samples: the plain neuron's loss is its least
    squares with the best b, and its minimiser is scikit-learn's; the batch-normalised one's is the
    least squares of y on the normalised z = w·x with the best γ and β, at any scale of w."""
    import surfaces
    from sklearn.linear_model import LinearRegression
    X, y = surfaces.neuron_samples()
    plain, normalised = surfaces.get("neuron"), surfaces.get("bn_neuron")
    fit = LinearRegression().fit(X, y)
    np.testing.assert_allclose(plain.minima[0], fit.coef_, rtol=1e-10)
    for w in np.random.default_rng(5).uniform(-4, 4, (6, 2)):
        z = X @ w
        assert plain.f(*w) == pytest.approx(np.mean((z + (y - z).mean() - y) ** 2), rel=1e-10)
        for scale in (0.3, 1.0, 7.0):
            zs = scale * z
            zhat = (zs - zs.mean()) / np.sqrt(zs.var() + 1e-5)
            design = np.column_stack([zhat, np.ones_like(zhat)])
            residual = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
            assert normalised.f(*w) == pytest.approx(np.mean(residual ** 2), rel=1e-10)


def test_batchnorm_page_shows_the_large_rate_training_only_with_bn():
    import surfaces
    at = app("batchnorm")
    assert_healthy(at)
    table = tables(at)[0]
    X, _ = surfaces.neuron_samples()
    stable = 2 / np.linalg.eigvalsh(2 * np.cov(X.T, bias=True))[-1]  # the plain loss's Hessian is 2C
    assert as_number(table.iloc[0, 1]) == pytest.approx(stable, rel=1e-3) and stable < 1.0
    assert table.iloc[0, 3].startswith("diverged at step")
    lowest = surfaces.get("neuron").f(*surfaces.get("neuron").minima[0])
    assert as_number(table.iloc[1, 3]) == pytest.approx(lowest, rel=1e-5)  # α = 1 trains with BN
    race = chart_specs(at)[:2]
    plain_path, bn_path = (race_paths(spec)[0] for spec in race)
    norms = np.hypot(*bn_path[np.isfinite(bn_path[:, 0])].T)
    assert np.all(np.diff(norms) > -1e-5) and norms[-1] > norms[0] * 1.1  # each step lengthens w


def test_batchnorm_loss_ignores_the_weights_length():
    at = app("batchnorm")
    invariance = tables(at)[1]
    assert invariance.iloc[:, 1].nunique() == 1  # J(w₀) = J(2w₀) = J(10w₀), to ten digits
    norms = invariance.iloc[:, 2].map(as_number).to_numpy()
    np.testing.assert_allclose(norms / norms[0], [1, 1 / 2, 1 / 10], rtol=2e-3)
    assert np.all(np.abs(invariance.iloc[:, 3].map(as_number)) < 1e-12)  # the gradient ⊥ w


def test_batchnorm_statistics_spread_like_one_over_root_b():
    import surfaces
    at = app("batchnorm")
    spread = next(s for s in chart_specs(at) if s["layout"]["xaxis"].get("type") == "log"
                  and s["layout"]["yaxis"].get("type") == "log")
    sizes = unpack(spread["data"][0]["x"])
    mean_spread, var_spread = unpack(spread["data"][0]["y"]), unpack(spread["data"][2]["y"])
    X, _ = surfaces.neuron_samples()
    z = X @ np.array(surfaces.get("bn_neuron").start) + 0.5
    np.testing.assert_allclose(mean_spread, z.std() / np.sqrt(sizes) * np.sqrt((len(z) - sizes) / (len(z) - 1)),
                               rtol=0.06)  # 4000 batches each: ≈ 1 % sampling error, plus a little correlation
    slope_mean, slope_var = (np.polyfit(np.log(sizes), np.log(s), 1)[0] for s in (mean_spread, var_spread))
    assert slope_mean == pytest.approx(-0.5, abs=0.02) and slope_var == pytest.approx(-0.5, abs=0.06)


def test_batchnorm_train_and_inference_disagree_at_small_batches_and_layer_norm_never():
    at = app("batchnorm")
    gaps = next(s for s in chart_specs(at) if s["layout"]["xaxis"].get("type") == "log"
                and s["layout"]["yaxis"].get("type") != "log")
    bn, ln, gn = (unpack(trace["y"]) for trace in gaps["data"][:3])
    assert np.all(np.diff(bn) < 0) and bn[0] > 0.5 and bn[-1] < 0.1
    assert np.all(ln == 0.0) and np.all(gn == 0.0)
    notice = next(m.value for m in at.markdown if "normalising two numbers" in m.value)
    share = float(notice.split("gives ±1 whatever they are: ")[1].split(" %")[0])
    assert share > 90


def test_batchnorm_running_averages_are_torchs():
    """The page's running mean and variance after every step (neuron 1, B = 8, momentum 0.2, 100 steps:
    the oracle's "small" case) against BatchNorm1d fed the same batches."""
    from test_optimizers import batchnorm_expected
    at = app("batchnorm", bn_batch="8", bn_momentum="0.2", bn_train_steps="100")
    mean_chart, var_chart = (s for s in chart_specs(at) if s["layout"]["yaxis"]["title"]["text"] in
                             ("mean of z", "variance of z"))
    expected_mean, expected_var, _, _ = batchnorm_expected("small")
    np.testing.assert_allclose(unpack(mean_chart["data"][1]["y"])[1:], expected_mean[:, 0], rtol=1e-6)
    np.testing.assert_allclose(unpack(var_chart["data"][1]["y"])[1:], expected_var[:, 0], rtol=1e-6)


def test_network_page_sets_its_table_beside_the_courses():
    at = app("network")
    assert_healthy(at)
    table = tables(at)[0]
    ours, course = table.iloc[:, 1].tolist(), table.iloc[:, 2].tolist()
    assert ours == ["79.7 %", "79.7 %", "94.0 %"] and course == ["79.7 %", "79.7 %", "94 %"]
    regions = chart_specs(at)[:3]
    for region in regions:  # the decision regions animate: a grid for every 250 epochs, 0 … 10 000
        frames = region["player"]["frames"][0]
        assert frames["at"] == list(range(0, 10_001, 250)) and frames["shape"] == [31, 31]
    costs = next(s for s in chart_specs(at) if s["layout"]["yaxis"].get("type") == "log")
    adam, epochs = unpack(costs["data"][2]["y"]), unpack(costs["data"][2]["x"])
    assert len(adam) == 1000 and epochs[0] == 1 and epochs[-1] == 10_000  # every 10th epoch, the last included
    assert adam[-1] < 0.2 < unpack(costs["data"][0]["y"])[-1]


def test_network_page_with_the_scheduled_decay_catches_up():
    at = app("network", nw_schedule="decay")
    assert_healthy(at)
    table = tables(at)[0]
    gd, momentum, adam = (float(v.rstrip(" %")) for v in table.iloc[:, 1])
    assert gd > 94.6 and abs(momentum - 95.6) <= 2 and abs(adam - 94.0) <= 2
    assert table.iloc[:, 2].tolist() == ["94.6 %", "95.6 %", "94 %"]


def test_network_landscape_slice_centres_on_the_trained_weights():
    at = app("network")
    contour = next(s for s in chart_specs(at) if s["data"][0]["type"] == "contour")
    logs = np.array(contour["data"][0]["z"])
    assert logs.shape == (51, 51) and np.unravel_index(np.argmin(logs), logs.shape) == (25, 25)
    keskar = next(s for s in chart_specs(at) if "a: 0" in s["layout"].get("xaxis", {}).get("title", {}).get("text", ""))
    assert len(unpack(keskar["data"][0]["y"])) == 61
