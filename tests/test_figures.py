"""The figure builders: valid plotly specs, the animation's frames, NaN gaps, colours, sizes."""

import base64
import json
import pickle

import numpy as np
import plotly.io as pio
import pytest

import figures
import optimizers
import surfaces


def unpack(value):
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).astype(np.float64)
    return np.asarray(value, dtype=np.float64)


def race(surface="rosenbrock", names=("gd", "sgd_momentum", "adam"), steps=300, lr=None):
    where = surfaces.get(surface)
    lr = lr or {"gd": 1e-3, "sgd_momentum": 1e-3, "adam": 0.2, "rmsprop": 0.01, "adagrad": 0.5, "momentum": 0.01}
    paths = [optimizers.run(where, name, steps=steps, lr=lr[name]) for name in names]
    lines = [figures.PathLine(name, figures.color(name), path.points) for name, path in zip(names, paths)]
    return where, paths, lines


def test_trajectory_figure_is_a_valid_animation():
    where, paths, lines = race()
    figure = figures.trajectory_figure(where, lines, style=figures.NORMAL)
    validated = figure.validated()  # plotly.py's validators accept the hand-built spec
    assert len(validated.frames) == len(figure.spec["frames"])
    spec = figure.spec
    static = 2  # contour lines + minima
    assert len(spec["data"]) == static + 3 * len(lines)
    image = spec["layout"]["images"][0]
    assert image["layer"] == "below" and image["source"].startswith("data:image/png;base64,")
    assert [b["method"] for b in spec["layout"]["updatemenus"][0]["buttons"]] == ["animate", "animate"]
    play = spec["layout"]["updatemenus"][0]["buttons"][0]["args"][1]
    assert play["frame"]["redraw"] is False and play["frame"]["duration"] <= 33  # ≥ 30 fps


def test_frames_draw_the_paths_progressively():
    where, paths, lines = race(steps=120)
    spec = figures.trajectory_figure(where, lines, style=figures.NORMAL).spec
    frames = spec["frames"]
    assert len(frames) == 90 and frames[0]["name"] == "0" and frames[-1]["name"] == "120"
    for frame in frames:
        step = int(frame["name"])
        for k, path in enumerate(paths):
            line, head = frame["data"][2 * k], frame["data"][2 * k + 1]
            np.testing.assert_allclose(unpack(line["x"]), path.points[:step + 1, 0].astype(np.float32))  # ≤ 240 steps: exact
            np.testing.assert_allclose(unpack(head["x"]), [path.points[step, 0]])
    moving = frames[0]["traces"]
    assert [spec["data"][i]["name"] for i in moving[::2]] == [line.label for line in lines]


def test_long_paths_are_thinned_within_frames_but_whole_at_the_end():
    where, paths, lines = race(names=("adam",), steps=1000)
    spec = figures.trajectory_figure(where, lines, style=figures.NORMAL).spec
    last = spec["frames"][-1]["data"][0]
    assert len(unpack(last["x"])) == figures.animation.FRAME_POINTS
    assert unpack(last["x"])[-1] == np.float32(paths[0].points[-1, 0])
    assert len(unpack(spec["data"][2]["x"])) == 1001  # the static path: every step


def test_diverged_path_ends_where_it_diverged():
    where = surfaces.get("bowl")
    path = optimizers.run(where, "gd", steps=60, lr=2.5)
    spec = figures.trajectory_figure(where, [figures.PathLine("GD", "#000", path.points)],
                                     style=figures.NORMAL).spec
    xs = unpack(spec["data"][2]["x"])
    assert np.isfinite(xs[:path.diverged_at]).all() and np.isnan(xs[path.diverged_at:]).all()
    head = spec["data"][4]  # the current-position dot stays at the last finite point
    assert head["x"][0] == path.points[path.diverged_at - 1, 0]


def test_colours_are_one_per_optimizer_and_colour_blind_safe():
    okabe_ito = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7"}
    assert set(figures.PALETTE.values()) <= okabe_ito
    assert len(set(figures.PALETTE.values())) == len(figures.PALETTE)
    assert figures.color("sgd_momentum", {"nesterov": True}) != figures.color("sgd_momentum")
    assert {figures.variant(name) for name in optimizers.names()} <= set(figures.PALETTE)


@pytest.mark.parametrize("count, steps", [(3, 500), (6, 300), (6, 1000)])
def test_chart_json_stays_under_a_megabyte(count, steps):
    names = ("gd", "sgd_momentum", "adam", "rmsprop", "momentum", "adagrad")[:count]
    where, _, lines = race(names=names, steps=steps)
    for style in (figures.NORMAL, figures.PROJECTOR):
        spec = figures.trajectory_figure(where, lines, style=style).to_dict()
        assert len(pio.to_json(spec, validate=False)) < 1_000_000
        assert len(spec["frames"]) >= 30


def test_inspector_draws_both_arrows_to_one_scale():
    where = surfaces.get("elongated_bowl")
    path = optimizers.run(where, "gd", steps=20, lr=0.05)
    spec = figures.inspector_figure(where, path, 5, color="#000", label="GD", style=figures.NORMAL).spec
    gd_arrow, step_arrow = spec["layout"]["annotations"]
    # For gradient descent the step taken *is* −α·g: both arrows coincide.
    assert gd_arrow["x"] == pytest.approx(step_arrow["x"]) and gd_arrow["y"] == pytest.approx(step_arrow["y"])
    assert (gd_arrow["ax"], gd_arrow["ay"]) == tuple(path.points[5])
    momentum = optimizers.run(where, "sgd_momentum", steps=20, lr=0.02)
    spec = figures.inspector_figure(where, momentum, 10, color="#000", label="HB", style=figures.NORMAL).spec
    gd_arrow, step_arrow = spec["layout"]["annotations"]
    assert (gd_arrow["x"], gd_arrow["y"]) != pytest.approx((step_arrow["x"], step_arrow["y"]))
    figures.Prepared(spec).validated()


def test_curve_figure_log_scale_drops_non_positive_values():
    spec = figures.curve_figure([figures.Curve("a", "#000", np.array([1.0, 0.0, -1.0, 0.5]))],
                                style=figures.NORMAL, x_title="step", y_title="loss", log_y=True).spec
    y = unpack(spec["data"][0]["y"])
    assert np.isnan(y[1]) and np.isnan(y[2]) and y[3] == 0.5
    assert spec["layout"]["yaxis"]["type"] == "log"


def test_surface3d_has_the_mesh_and_each_path():
    where, _, lines = race(steps=50)
    labels = {**figures.DEFAULT_LABELS, "loss": "loss"}
    figure = figures.surface3d_figure(where, lines, style=figures.NORMAL, labels=labels)
    figure.validated()
    kinds = [trace["type"] for trace in figure.spec["data"]]
    assert kinds.count("surface") == 1 and kinds.count("scatter3d") == 2 * len(lines)


def test_prepared_figures_pickle_and_serialise():
    where, _, lines = race(steps=30)
    figure = figures.trajectory_figure(where, lines, style=figures.PROJECTOR)
    copy = pickle.loads(pickle.dumps(figure))
    assert json.loads(pio.to_json(copy.to_dict(), validate=False))["layout"]["font"]["size"] == figures.PROJECTOR.font_size


def test_contour_background_shades_low_loss_light():
    where = surfaces.get("bowl")
    shade = figures.contour.shade(where.f(*np.meshgrid(np.linspace(-2, 2, 41), np.linspace(-2, 2, 41))))
    assert shade[20, 20] == 0.0 and shade.max() == 1.0 and shade[0, 0] > shade[10, 10]
    x, y = figures.contour_lines(where)
    assert len(x) > 100 and np.isnan(x).any()  # several separate lines
    radius = np.hypot(x, y)[np.isfinite(x)]
    assert radius.min() > 0 and radius.max() < 2 * np.sqrt(2) + 1e-9


def test_shaded_spans_cover_exactly_the_runs_of_true():
    mask = np.array([0, 1, 1, 0, 0, 1, 0, 1, 1, 1], dtype=bool)
    bands = figures.shaded_spans(mask)
    assert [(b["x0"], b["x1"]) for b in bands] == [(0.5, 2.5), (4.5, 5.5), (6.5, 9.5)]
    assert figures.shaded_spans(np.zeros(5, dtype=bool)) == []


def test_ensemble_figure_moves_every_cloud_and_stays_small():
    where = surfaces.get("sharp_flat")
    starts = np.tile(where.start, (300, 1))
    paths = optimizers.run_ensemble(where, "gd", starts=starts, steps=300, lr=0.1, noise=2.0)
    shown = figures.snapshot_steps(300, 600)
    clouds = [("a", "#009E73", paths[:, shown]), ("b", "#D55E00", paths[:, shown])]
    figure = figures.ensemble_figure(where, clouds, shown, style=figures.NORMAL)
    validated = figure.validated()
    assert len(validated.frames) == len(shown) and shown[0] == 0 and shown[-1] == 300
    last = figure.spec["frames"][-1]["data"][0]
    np.testing.assert_allclose(unpack(last["x"]), paths[:, -1, 0], rtol=1e-6)  # float32 on the wire
    assert len(json.dumps(figure.spec)) < 600_000
    play = figure.spec["layout"]["updatemenus"][0]["buttons"][0]["args"][1]
    assert play["frame"]["redraw"] is False  # no redraw: the raster map stays, ≥ 30 fps
    assert play["transition"]["duration"] == play["frame"]["duration"] > 0  # points glide between key frames


def test_curvature_figure_draws_each_eigenvector_through_the_point():
    where = surfaces.get("saddle")
    shape = surfaces.curvature(where, 0.5, 0.5)
    directions = [("down", "#D55E00", shape.eigenvectors[:, 0]), ("up", "#0072B2", shape.eigenvectors[:, 1])]
    figure = figures.curvature_figure(where, (0.5, 0.5), directions, style=figures.NORMAL, click_grid=5)
    figure.validated()
    axes = [trace for trace in figure.spec["data"] if trace["name"] in ("down", "up")]
    for trace, (_, _, vector) in zip(axes, directions):
        ends = np.array([trace["x"], trace["y"]]).T
        np.testing.assert_allclose(ends.mean(axis=0), [0.5, 0.5])  # centred on the point
        direction = (ends[1] - ends[0]) / np.linalg.norm(ends[1] - ends[0])
        assert abs(direction @ vector) == pytest.approx(1.0)
    assert figure.spec["data"][-1]["name"] == "click"
