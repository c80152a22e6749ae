"""The figure builders: valid plotly specs, what the player animates, NaN gaps, colours, sizes."""

import base64
import json
import pickle
import shutil
import subprocess
import zlib
from pathlib import Path

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


NODE = shutil.which("node")


def player_frames(spec, positions):
    """What the browser's player (figures/player/player.js) draws at each timeline position, run in
    Node: {"data": [{"x", "y"}...], "traces": [...]} per position."""
    if NODE is None:
        pytest.skip("Node.js runs the player's code outside a browser")
    script = (Path(figures.__file__).parent / "player" / "player.js").read_text()
    program = ("globalThis.window = globalThis;\n" + script + "\n"
               "const spec = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
               "const animation = window.DescentPlayer.prepare(spec);\n"
               f"const out = {json.dumps([float(p) for p in positions])}.map((p) => window.DescentPlayer.frameAt(animation, p));\n"
               "process.stdout.write(JSON.stringify(out, (k, v) => ArrayBuffer.isView(v) ? Array.from(v) : v));")
    done = subprocess.run([NODE, "-e", program], input=pio.json.to_json_plotly(spec), capture_output=True,
                          text=True, check=True, timeout=60)
    return json.loads(done.stdout.replace("null", "NaN"))  # JSON has no NaN: a diverged path's gap


def test_trajectory_figure_is_valid_and_names_what_moves():
    where, paths, lines = race()
    figure = figures.trajectory_figure(where, lines, style=figures.NORMAL)
    figure.validated()  # plotly.py's validators accept the hand-built spec
    spec = figure.spec
    static = 2  # contour lines + minima
    assert len(spec["data"]) == static + 3 * len(lines)
    image = spec["layout"]["images"][0]
    assert image["layer"] == "below" and image["source"].startswith("data:image/png;base64,")
    assert "updatemenus" not in spec["layout"] and "frames" not in spec  # the player's controls are HTML
    player = spec["player"]
    assert player["steps"] == 300
    assert [spec["data"][path]["name"] for path, _, _ in player["grow"]] == [line.label for line in lines]
    for k, (path, head, rate) in enumerate(player["grow"]):
        assert (path, head, rate) == (static + 3 * k, static + 3 * k + 2, 1.0)
        np.testing.assert_array_equal(unpack(spec["data"][path]["x"]), paths[k].points[:, 0].astype(np.float32))


def test_the_player_draws_each_path_up_to_the_step_and_glides_between_steps():
    where, paths, lines = race(steps=120)
    spec = figures.trajectory_figure(where, lines, style=figures.NORMAL).spec
    frames = player_frames(spec, [0, 37, 37.25, 120])
    for frame, position in zip(frames, [0, 37, 37.25, 120]):
        step = int(position)
        for k, path in enumerate(paths):
            line, head = frame["data"][2 * k], frame["data"][2 * k + 1]
            expected = path.points[:step + 1].astype(np.float32).astype(np.float64)
            np.testing.assert_allclose(line["x"][:step + 1], expected[:, 0], rtol=1e-6)
            np.testing.assert_allclose(line["y"][:step + 1], expected[:, 1], rtol=1e-6)
            if position == step:
                assert len(line["x"]) == step + 1 and head["x"] == [pytest.approx(expected[-1, 0], rel=1e-6)]
            else:  # a quarter of the way along the next step, drawn as a point at the head
                between = (path.points[step] + 0.25 * (path.points[step + 1] - path.points[step]))
                assert len(line["x"]) == step + 2
                np.testing.assert_allclose([line["x"][-1], line["y"][-1]], between, rtol=1e-5)
                np.testing.assert_allclose([head["x"][0], head["y"][0]], between, rtol=1e-5)
    assert frames[0]["traces"] == [index for path, head, _ in spec["player"]["grow"] for index in (path, head)]


def test_paths_of_different_lengths_advance_together_in_progress_units():
    where = surfaces.get("bowl")
    short, long = (optimizers.run(where, "gd", steps=n, lr=0.05).points for n in (10, 40))
    lines = [figures.PathLine("a", "#000", short), figures.PathLine("b", "#111", long)]
    spec = figures.trajectory_figure(where, lines, style=figures.NORMAL, progress_total=5).spec
    assert spec["player"]["unit"]["scale"] == 5 / 40
    half = player_frames(spec, [20])[0]
    assert len(half["data"][0]["x"]) == 6 and len(half["data"][2]["x"]) == 21  # both halfway


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
    tol_wine = "#882255"  # Paul Tol's muted scheme: the eighth colour once Okabe–Ito's light yellow is left out
    assert set(figures.PALETTE.values()) <= okabe_ito | {tol_wine}
    assert len(set(figures.PALETTE.values())) == len(figures.PALETTE)
    assert figures.color("sgd_momentum", {"nesterov": True}) != figures.color("sgd_momentum")
    assert {figures.variant(name) for name in optimizers.names()} <= set(figures.PALETTE)


@pytest.mark.parametrize("count, steps", [(3, 500), (6, 300), (6, 1000)])
def test_an_animated_chart_costs_its_paths_once(count, steps):
    """Every step of every path, once: the browser draws the earlier steps from them (a chart with
    a copy of each path per frame cost up to 1 MB)."""
    names = ("gd", "sgd_momentum", "adam", "rmsprop", "momentum", "adagrad")[:count]
    where, _, lines = race(names=names, steps=steps)
    for style in (figures.NORMAL, figures.PROJECTOR):
        figure = figures.trajectory_figure(where, lines, style=style)
        without_paths = figures.trajectory_figure(where, [], style=style)
        path_bytes = len(figure.json()) - len(without_paths.json())
        # two float32 a point in base64, with plotly.io escaping each "/" as \u002f: ≤ 16 bytes
        assert path_bytes < count * (steps + 1) * 16 + count * 2000
        assert len(figure.json()) < 300_000


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


def test_2d_figures_take_plotly_pys_own_plotly_js_in_its_cartesian_bundle_and_3d_ones_the_full_one():
    from plotly.offline import get_plotlyjs, get_plotlyjs_version
    head = figures.player.CARTESIAN_JS.read_text(encoding="utf-8")[:120]
    assert f"plotly.js (cartesian - minified) v{get_plotlyjs_version()}\n" in head
    where, _, lines = race(steps=30)
    flat = figures.trajectory_figure(where, lines, style=figures.NORMAL)
    scene = figures.surface3d_figure(where, lines, style=figures.NORMAL, labels={**figures.DEFAULT_LABELS, "loss": "J"})
    assert figures.player.cartesian([flat]) and not figures.player.cartesian([flat, scene])
    exported = figures.player.page([flat], {})
    assert "plotly.js (cartesian - minified)" in exported and len(exported) < 2_000_000
    assert get_plotlyjs()[:200] in figures.player.page([scene], {})


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


def test_contour_raster_is_the_ramp_of_the_shaded_loss():
    """The map's PNG, decoded, is the five-colour ramp linearly interpolated at each pixel's shade
    (np.interp per channel), to within the 8-bit palette's rounding; rows run top down."""
    import base64
    import io

    from PIL import Image
    where = surfaces.get("elongated_bowl", condition=30.0, angle=20.0)
    entry = figures.background_image(where, n=64)
    png = Image.open(io.BytesIO(base64.b64decode(entry["source"].split(",", 1)[1])))
    rgb = np.asarray(png.convert("RGB"), dtype=np.float64)
    _, _, z = figures.grid(where, 64)
    t = figures.contour.shade(z)[::-1]
    ramp = figures.contour._RAMP
    knots = np.linspace(0, 1, len(ramp))
    expected = np.stack([np.interp(t, knots, ramp[:, c]) for c in range(3)], axis=-1)
    assert png.size == (64, 64)
    assert np.abs(rgb - expected).max() <= 1.0
    assert (entry["x"], entry["y"]) == (where.bounds[0], where.bounds[3])


def test_shaded_spans_cover_exactly_the_runs_of_true():
    mask = np.array([0, 1, 1, 0, 0, 1, 0, 1, 1, 1], dtype=bool)
    bands = figures.shaded_spans(mask)
    assert [(b["x0"], b["x1"]) for b in bands] == [(0.5, 2.5), (4.5, 5.5), (6.5, 9.5)]
    assert figures.shaded_spans(np.zeros(5, dtype=bool)) == []


def test_ensemble_figure_moves_every_cloud_and_stays_small():
    where = surfaces.get("sharp_flat")
    starts = np.tile(where.start, (240, 1))  # lesson 8's ensemble
    paths = optimizers.run_ensemble(where, "gd", starts=starts, steps=300, lr=0.1, noise=2.0)
    shown = figures.snapshot_steps(300)
    clouds = [("a", "#009E73", paths[:, shown]), ("b", "#D55E00", paths[:, shown])]
    figure = figures.ensemble_figure(where, clouds, shown, style=figures.NORMAL)
    figure.validated()
    assert shown[0] == 0 and shown[-1] == 300 and len(shown) == 31
    np.testing.assert_allclose(unpack(figure.spec["data"][2]["x"]), paths[:, -1, 0], rtol=1e-6)  # the still view
    assert len(figure.json()) < 300_000
    k = 20  # at a snapshot the player shows it; halfway to the next, every point halfway along
    at, halfway = player_frames(figure.spec, [shown[k], (shown[k] + shown[k + 1]) / 2])
    np.testing.assert_allclose(at["data"][0]["x"], paths[:, shown[k], 0], rtol=1e-5, atol=1e-6)
    middle = (paths[:, shown[k]] + paths[:, shown[k + 1]]) / 2
    np.testing.assert_allclose(halfway["data"][1]["y"], middle[:, 1], rtol=1e-5, atol=1e-6)


def test_curvature_figure_draws_each_eigenvector_through_the_point():
    where = surfaces.get("saddle")
    shape = surfaces.curvature(where, 0.5, 0.5)
    directions = [("down", "#D55E00", shape.eigenvectors[:, 0]), ("up", "#0072B2", shape.eigenvectors[:, 1])]
    figure = figures.curvature_figure(where, (0.5, 0.5), directions, style=figures.NORMAL)
    figure.validated()
    axes = [trace for trace in figure.spec["data"] if trace["name"] in ("down", "up")]
    for trace, (_, _, vector) in zip(axes, directions):
        ends = np.array([trace["x"], trace["y"]]).T
        np.testing.assert_allclose(ends.mean(axis=0), [0.5, 0.5])  # centred on the point
        direction = (ends[1] - ends[0]) / np.linalg.norm(ends[1] - ends[0])
        assert abs(direction @ vector) == pytest.approx(1.0)


def test_coinciding_paths_each_stay_visible():
    """Paths drawn later are narrower, so a path under another shows as a rim (RMSprop under AdaGrad)."""
    where, _, lines = race(names=("rmsprop", "adagrad", "adam"), steps=50)
    spec = figures.trajectory_figure(where, lines, style=figures.NORMAL).spec
    widths = [spec["data"][path]["line"]["width"] for path, _, _ in spec["player"]["grow"]]
    assert widths == sorted(widths, reverse=True) and widths[-1] == figures.NORMAL.line_width
    assert min(a - b for a, b in zip(widths, widths[1:])) >= 1.0  # ≥ 0.5 px of rim on each side
    assert widths[0] <= 2.2 * widths[-1]  # and no path so thick that it buries the map


def test_maps_are_drawn_true():
    where = surfaces.get("elongated_bowl", condition=10, angle=45)
    layout = figures.trajectory_figure(where, [], style=figures.NORMAL).spec["layout"]
    assert layout["yaxis"]["scaleanchor"] == "x" and layout["yaxis"]["scaleratio"] == 1


@pytest.mark.parametrize("low, high, expected", [
    (0.02, 3.0, ["0.02", "0.05", "0.1", "0.2", "0.5", "1", "2"]),
    (1e-9, 10.0, ["10⁻⁹", "10⁻⁷", "10⁻⁵", "0.001", "0.1", "10"]),
    (3e-30, 1.0, ["10⁻²⁸", "10⁻²⁴", "10⁻²⁰", "10⁻¹⁶", "10⁻¹²", "10⁻⁸", "0.0001", "1"]),
    (2e-3, 0.5, ["0.002", "0.005", "0.01", "0.02", "0.05", "0.1", "0.2", "0.5"]),
])
def test_log_axes_label_full_numbers(low, high, expected):
    """Never a bare "5" for 0.5: every label is the number itself."""
    ticks = figures.style.log_ticks([np.geomspace(low, high, 50)])
    assert ticks["ticktext"] == expected
    assert [figures.style.tick_text(v) for v in (2e-5, 5e6, 1e-12, 0.5)] == ["2×10⁻⁵", "5×10⁶", "10⁻¹²", "0.5"]
    digits = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
    for text, value in zip(ticks["ticktext"], ticks["tickvals"]):
        mantissa, _, power = text.translate(digits).rpartition("10") if "10-" in text.translate(digits) else ("", "", "")
        read = float(text) if not power else float(mantissa.rstrip("×") or 1) * 10.0 ** int(power)
        assert read == pytest.approx(value)


def test_a_diverged_run_leaves_the_axes_readable_and_is_named():
    where = surfaces.get("rosenbrock")
    fine = optimizers.run(where, "adam", steps=200, lr=0.05)
    wild = optimizers.run(where, "gd", steps=200, lr=0.01)  # explodes to 1e12 before it leaves the range
    assert wild.diverged_at is not None and np.nanmax(wild.loss) > 1e9
    curves = [figures.Curve("Adam", "#0072B2", fine.loss), figures.Curve("GD", "#000000", wild.loss)]
    for log_y in (False, True):
        spec = figures.curve_figure(curves, style=figures.NORMAL, x_title="step", y_title="loss", log_y=log_y,
                                    diverged_text="{name} diverged at step {step}").spec
        low, high = spec["layout"]["yaxis"]["range"]
        top = np.log10(max(fine.loss.max(), wild.loss[0])) if log_y else max(fine.loss.max(), wild.loss[0])
        assert high == pytest.approx(top, rel=0.2)  # the axis ends near the healthy run's top, not at 1e26
        note = spec["layout"]["annotations"][0]["text"]
        assert note == f"✕ GD diverged at step {wild.diverged_at}"
    lines = [figures.PathLine("GD", "#000", wild.points)]
    scene = figures.surface3d_figure(where, lines, style=figures.NORMAL, labels={**figures.DEFAULT_LABELS, "loss": "J"},
                                     diverged_text="{name} diverged at step {step}").spec
    xmin, xmax, ymin, ymax = where.bounds
    assert scene["layout"]["scene"]["xaxis"]["range"] == [xmin, xmax]
    drawn = np.asarray(scene["data"][1]["x"], dtype=float)
    assert np.nanmax(np.abs(drawn)) <= max(abs(xmin), abs(xmax))  # no point far outside: no thin blade
    assert "diverged" in scene["layout"]["annotations"][0]["text"]


def test_a_spec_is_encoded_as_the_standard_json_engine_encodes_it():
    """Prepared.json goes through plotly.io's default engine (orjson, pinned for speed): the same
    document as the json engine writes, NaN gaps and float32 data included."""
    assert pio.json.config.default_engine == "auto"
    import orjson  # noqa: F401  (pinned in requirements.txt: "auto" picks it)
    where, paths, lines = race(steps=200)
    lines.append(figures.PathLine("gap", "#000000", np.array([[0.0, 1.0], [np.nan, np.nan], [0.5, 0.25]])))
    for figure in (figures.trajectory_figure(where, lines, style=figures.NORMAL, backdrop=figures.backdrop(where)),
                   figures.curve_figure([figures.Curve("loss", "#000000", paths[0].loss)], style=figures.NORMAL,
                                        x_title="step", y_title="loss")):
        assert json.loads(figure.json()) == json.loads(pio.json.to_json_plotly(figure.spec, engine="json"))


def test_the_player_is_sent_each_figure_compressed_once_and_a_shared_backdrop_once_for_all():
    """The player's "specs" are zlib streams, joined; "parts" gives each figure's stream lengths,
    and a figure's texts joined are its JSON. A long string (a backdrop's raster, its contour lines)
    is a stream of its own, the same bytes in every figure that carries it. A figure compresses once."""
    import json
    where, paths, lines = race(steps=400)
    backdrop = figures.backdrop(where)
    race_figure = figures.trajectory_figure(where, lines, style=figures.NORMAL, backdrop=backdrop)
    other_race = figures.trajectory_figure(where, lines[:1], style=figures.PROJECTOR, backdrop=backdrop)
    curves = figures.curve_figure([figures.Curve("loss", "#000000", paths[0].loss)], style=figures.NORMAL,
                                  x_title="step", y_title="loss")
    shown = [race_figure, other_race, curves]
    blob, parts = figures.player.deflated(shown)
    assert len(parts) == 3 and sum(map(sum, parts)) == len(blob)
    at = 0
    for figure, lengths in zip(shown, parts):
        text = b""
        for length in lengths:
            text += zlib.decompress(blob[at:at + length])
            at += length
        assert json.loads(text) == json.loads(figure.json())
    image = backdrop["image"]["source"]
    assert len(image) >= figures.style.SHARED and len(parts[0]) >= 3 and len(parts[2]) == 1
    shared = set(map(id, race_figure.deflated())) & set(map(id, other_race.deflated()))
    assert len(shared) >= 2  # the raster and the contour lines: one compressed copy for both maps
    assert race_figure.deflated() is race_figure.deflated()
    assert len(blob) < 0.75 * sum(len(figure.json()) for figure in shown)


def test_a_figure_built_anew_but_the_same_is_compressed_once():
    """A page that builds a figure on every rerun (not cached) sends the streams made the first
    time; a figure that differs in one number gets its own."""
    where, paths, lines = race(steps=120)

    def build(loss):
        return figures.curve_figure([figures.Curve("loss", "#000000", loss)], style=figures.NORMAL,
                                    x_title="step", y_title="loss")
    first, again = build(paths[0].loss), build(paths[0].loss.copy())
    assert first is not again and first.deflated() is again.deflated()
    changed = paths[0].loss.copy()
    changed[7] = np.nextafter(changed[7], np.inf)  # the last digit of one point
    other = build(changed)
    assert other.deflated() is not first.deflated()
    assert zlib.decompress(other.deflated()[0]).decode() == other.json()
    assert zlib.decompress(first.deflated()[0]).decode() == first.json()


def test_a_figure_whose_data_holds_the_shared_mark_still_travels_whole():
    import json
    text = "x" * figures.style.SHARED + figures.style._MARK
    figure = figures.style.Prepared({"data": [{"type": "scatter", "name": figures.style._MARK, "text": text}],
                                     "layout": {}})
    (stream,) = figure.deflated()
    assert json.loads(zlib.decompress(stream)) == json.loads(figure.json())


