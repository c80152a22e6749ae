"""Every page through Streamlit's AppTest: it loads, draws its charts, survives every control at both
ends of its range, takes its settings from the URL, reports bad links, and speaks both languages."""

import json
import re
import zlib
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app_pages.common import LESSONS

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(["home", "playground", *(name for _, name in LESSONS)])  # the pages app.py routes to
CHART_PAGES = [p for p in PAGES if p != "home"]
WIDGET_KINDS = ("slider", "select_slider", "selectbox", "number_input", "toggle", "button_group")


def app(page, **params):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page(f"app_pages/{page}.py")
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def assert_healthy(at):
    assert not at.exception, [str(e.value)[:500] for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def player_specs(element):
    """The figure specs one player on the page draws: its "specs" argument is zlib streams, joined,
    and "parts" (in its "about" text) for each figure the lengths of its streams, whose texts joined
    are its JSON."""
    blob = next(a for a in element.proto.special_args if a.key == "specs").bytes
    specs, at = [], 0
    for lengths in json.loads(json.loads(element.proto.json_args)["about"])["parts"]:
        text = b""
        for length in lengths:
            text += zlib.decompress(blob[at:at + length])
            at += length
        specs.append(json.loads(text))
    assert at == len(blob)
    return specs


def chart_spec(at, key):
    """The (first) figure of the chart drawn with this key."""
    return player_specs(next(e for e in at.get("component_instance") if f"chart-{key}" in e.proto.id))[0]


def figure_specs(at):
    """Every figure on the page, in order (a player may draw several under one Play)."""
    return [spec for element in at.get("component_instance") for spec in player_specs(element)]


SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻−", "0123456789--")


def tables(at, numbers=True):
    """Every table on the page (common.table writes them in markdown), as DataFrames of what the
    visitor reads: the cells' texts unescaped, a column of numbers read as numbers (unless not `numbers`)."""
    found = []
    for element in at.markdown:
        blocks = re.findall(r"^\| .* \|\n\|[-:| ]+\|(?:\n\| .* \|)*", element.value, flags=re.M)
        for block in blocks:
            rows = [[re.sub(r"\\(.)", r"\1", text) for text in re.split(r"(?<!\\) \| ", line[2:-2])]
                    for line in block.splitlines()]
            frame = pd.DataFrame(rows[2:], columns=rows[0])
            for name in frame.columns if numbers else ():  # a column of numbers as numbers (3.2×10⁻²⁵ too)
                try:
                    frame[name] = [float(text.replace("×10", "e").translate(SUPERSCRIPTS)) for text in frame[name]]
                except ValueError:
                    pass
            found.append(frame)
    return found


def display_math(at):
    """The LaTeX of every display equation on the page (in prose, between $$ lines)."""
    return [block for element in at.markdown for block in re.findall(r"^\$\$\n(.*?)\n\$\$$", element.value, re.M | re.S)]


def widgets(at):
    """(kind, key) of every keyed widget on the page (the sidebar included)."""
    found = []
    for kind in WIDGET_KINDS:
        for widget in getattr(at, kind):
            if widget.key:
                found.append((kind, widget.key))
    return found


def find(at, kind, key):
    return next((w for w in getattr(at, kind) if w.key == key), None)


def end_value(widget, kind, end):
    """The lowest (end=0) or highest (end=-1) value a widget offers."""
    if kind in ("slider", "number_input"):
        return widget.min if end == 0 else widget.max
    if kind == "toggle":
        return end != 0
    if kind == "selectbox":
        return None  # uses select_index
    if kind == "button_group":
        return None
    return widget.options[end]


def raw_option(widget, label):
    """The option id behind a selectbox label (AppTest's select_index would set the label itself)."""
    import optimizers
    import surfaces
    candidates = [*surfaces.names(), *optimizers.names(), *optimizers.schedule_names(), *surfaces.SCALE_BY,
                  *optimizers.L1_MODES, "decay", *range(12)]
    if label.lstrip("-").isdigit():
        candidates.insert(0, int(label))
    for candidate in candidates:
        try:
            if widget.format_func(candidate) == label:
                return candidate
        except (KeyError, IndexError, TypeError):
            continue
    raise AssertionError(f"no option id for {label!r} in {widget.key}")


def set_end(widget, kind, end):
    if kind == "selectbox":
        return widget.set_value(raw_option(widget, widget.options[end]))
    if kind == "button_group":
        return widget.set_value(["en", "zh"][end])
    if kind == "select_slider":
        options = widget.options
        return widget.set_value(_option_value(options[end]))
    return widget.set_value(end_value(widget, kind, end))


def _option_value(text):
    try:
        return float(text[:-1]) if text.endswith("×") else float(text)
    except ValueError:
        return text


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_without_errors(page):
    at = app(page)
    assert_healthy(at)
    assert any(m.value.startswith("# ") for m in at.markdown), "every page has a title"
    if page != "home":
        specs = figure_specs(at)
        assert specs, "a lesson page shows at least one chart"
        for spec in specs:
            assert spec["data"], "no empty chart"


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("page", CHART_PAGES)
def test_every_control_to_both_ends(page, language):
    from app_pages.i18n import use_language
    at = app(page, lang=language)
    found = [(kind, key) for kind, key in widgets(at) if key != "lang"]  # the language stays as opened
    assert len(found) >= 4, "the sidebar settings plus the page's own controls"
    use_language(language)  # AppTest formats a selectbox's options in this thread
    try:
        for kind, key in found:
            for end in (0, -1):
                widget = find(at, kind, key)
                if widget is None:  # the control went away (another control changed the page)
                    break
                set_end(widget, kind, end).run()
                assert_healthy(at)
                assert figure_specs(at), f"{kind} {key} at end {end} left no chart"
    finally:
        use_language("en")


@pytest.mark.parametrize("page", CHART_PAGES)
def test_url_parameters_set_every_control(page):
    """Every slider and toggle takes its value from the link (the highest value: never a default)."""
    first = app(page)
    params, expected = {}, {}
    for kind, key in widgets(first):
        widget = find(first, kind, key)
        if kind in ("slider", "number_input"):
            value = widget.max
            params[key] = format(value, "g")
        elif kind == "toggle":
            value = not widget.value
            params[key] = "true" if value else "false"
        elif kind == "select_slider":
            value = _option_value(widget.options[-1])
            params[key] = widget.options[-1].rstrip("×")
        else:
            continue
        expected[key] = (kind, value)
    at = app(page, **params)
    assert_healthy(at)
    assert not at.warning or "link" not in at.warning[0].value
    for key, (kind, value) in expected.items():
        widget = find(at, kind, key)
        if widget is not None:  # (a control that depends on another may be hidden by the new values)
            assert widget.value == pytest.approx(value) if kind != "toggle" else widget.value == value, key


@pytest.mark.parametrize("page", PAGES)
def test_bad_link_values_get_a_notice_and_defaults(page):
    at = app(page, lang="klingon", projector="maybe", speed="-3")
    assert_healthy(at)
    notice = " ".join(w.value for w in at.warning)
    for key in ("lang", "projector", "speed"):
        assert notice.count(f"**{key}**") == 1, notice  # told once (the language is read twice)
    assert at.button_group(key="lang").value == "en"
    assert at.toggle(key="projector").value is False
    assert at.select_slider(key="speed").value == 1.0


def test_hostile_link_values_stay_inert_and_short():
    at = app("playground", pg_steps="9" * 5000, pg_surface="<script>alert(1)</script>`**",
             pg_o0_lr="1e309", pg_noise="nan", pg_view="../../etc")
    assert_healthy(at)
    notice = at.warning[0].value
    assert len(notice) < 1200 and "9" * 41 not in notice
    assert at.slider(key="pg_steps").value == 500 and at.selectbox(key="pg_surface").value == "rosenbrock"
    assert at.select_slider(key="pg_o0_lr").value == 0.001 and at.slider(key="pg_noise").value == 0.0


@pytest.mark.parametrize("page", PAGES)
def test_chinese_interface(page):
    at = app(page, lang="zh")
    assert_healthy(at)
    title = next(m.value for m in at.markdown if m.value.startswith("# "))
    assert re.search(r"[\u4e00-\u9fff]", title.splitlines()[0]), title


@pytest.mark.parametrize("page", CHART_PAGES)
def test_projector_mode_enlarges_the_figures(page):
    normal = figure_specs(app(page))[0]["layout"]["font"]["size"]
    big = figure_specs(app(page, projector="true"))[0]["layout"]["font"]["size"]
    assert big > normal


def test_language_switch_keeps_the_other_settings():
    at = app("playground", pg_steps="200")
    at.button_group(key="lang").set_value("zh").run()
    assert_healthy(at)
    assert at.slider(key="pg_steps").value == 200
    assert at.query_params["lang"] == ["zh"] or at.query_params["lang"] == "zh"


def test_controls_write_the_url():
    at = app("playground")
    at.slider(key="pg_steps").set_value(250).run()
    at.select_slider(key="pg_o0_lr").set_value(0.002).run()
    assert dict(at.query_params)["pg_steps"] in ("250", ["250"])
    assert dict(at.query_params)["pg_o0_lr"] in ("0.002", ["0.002"])
    at.slider(key="pg_steps").set_value(500).run()  # back to the default: left out of the link
    assert "pg_steps" not in dict(at.query_params)


@pytest.mark.parametrize("view", ["map", "surface3d", "loss", "lr", "inspector"])
def test_playground_views(view):
    at = app("playground", pg_view=view, pg_inspect_step="40")
    assert_healthy(at)
    specs = figure_specs(at)
    assert specs and all(spec["data"] for spec in specs)
    if view == "inspector":
        ledger, board = tables(at)  # the step ledger; the leaderboard
        assert list(ledger.columns) == ["quantity", "θ₁", "θ₂"] and ledger["quantity"][0] == "θₜ"
        assert list(board.columns)[0] == "optimizer"


def test_playground_reports_divergence():
    at = app("playground", pg_o0_lr="2")  # gradient descent at α = 2 on Rosenbrock
    assert_healthy(at)
    warning = " ".join(w.value for w in at.warning)
    assert "diverged at step" in warning and "smaller learning rate" in warning


def test_playground_leaderboard_ranks_by_steps():
    at = app("playground", pg_surface="bowl", pg_o0_lr="0.5", pg_o1_lr="0.05", pg_o2_lr="0.05")
    board = tables(at)[0]
    assert list(board.columns)[0] == "optimizer"
    reached = board["steps to reach"].tolist()
    assert reached[0] != "not reached" and int(reached[0]) == min(int(r) for r in reached if r != "not reached")


def test_the_leaderboard_writes_numbers_for_a_person():
    """Final losses like 5e-25 and 1.2e+07 read as 5×10⁻²⁵ and 1.2×10⁷, never as a row of zeros."""
    from app_pages.common import number
    assert [number(v) for v in (5e-25, 0.03125, 12.5, 1.23456e7, 0.0, float("nan"), -2.5e-9)] == [
        "5×10⁻²⁵", "0.03125", "12.5", "1.235×10⁷", "0", "—", "-2.5×10⁻⁹"]
    at = app("playground", pg_surface="bowl", pg_o2_lr="0.5")  # Adam lands on the minimum
    losses = tables(at, numbers=False)[0]["final loss"].tolist()
    assert all(isinstance(v, str) and len(v) <= 12 for v in losses), losses


def test_a_table_shows_its_cells_as_text_with_their_numbers_formatted():
    """A cell is inert text: a pipe, a dollar or stars in a label never break the table or turn
    into markup; numbers take their column's format; a column of numbers is right-aligned."""
    from app_pages.common import table_markdown
    text = table_markdown({"name": ["a | b", "$x$ **y**"], "value": [1 / 3, 2.5e-9], "count": [3, 40]},
                          formats={"value": ".3g"})
    lines = text.splitlines()
    assert lines[1] == "| :--- | ---: | ---: |" and len(lines) == 4
    assert all(line.count(" | ") == 2 for line in lines)  # the pipe in "a | b" is escaped
    assert r"\$x\$ \*\*y\*\*" in lines[3] and r"0\.333" in lines[2] and r"2\.5e\-09" in lines[3]

    class Page:  # what tables() reads: markdown elements
        markdown = [type("Element", (), {"value": "Some words.\n\n" + text + "\n\nMore."})()]
    parsed = tables(Page)[0]
    assert parsed["name"].tolist() == ["a | b", "$x$ **y**"] and parsed["count"].tolist() == [3, 40]


# ----------------------------------------------------------------------------- strings

def test_both_languages_have_the_same_keys():
    from app_pages.i18n import STRINGS
    assert set(STRINGS["en"]) == set(STRINGS["zh"])
    for key in STRINGS["en"]:
        assert set(re.findall(r"{(\w+)}", STRINGS["en"][key])) == set(re.findall(r"{(\w+)}", STRINGS["zh"][key])), key


def test_a_language_switch_reruns_no_simulation(monkeypatch):
    """Labels are presentation: the runs' trajectories come from the cache in the other language."""
    import optimizers
    calls = []
    real = optimizers.run
    monkeypatch.setattr(optimizers, "run", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    app("momentum", mo_steps="130", mo_beta="0.83")
    assert calls  # computed once in English
    calls.clear()
    assert_healthy(app("momentum", mo_steps="130", mo_beta="0.83", lang="zh"))
    assert calls == []


def test_notation_reads_as_mathematics_not_as_source():
    """v_{t−1}, x_t and J^{t} written out raw in intros, headers and legends: Unicode instead
    (vₜ₋₁, xₜ, J⁽ᵗ⁾); LaTeX stays inside $…$ only."""
    from app_pages.i18n import STRINGS
    for language, strings in STRINGS.items():
        for key, text in strings.items():
            outside = re.sub(r"\$[^$]*\$", "", text)
            assert not re.search(r"_\{|\^\{|_t(?![a-z])|\\[a-z]+", outside), (language, key, text)


def test_update_rules_wrap_one_equation_a_line():
    """Adam's rule on one line ran off the right edge at 1024 px."""
    at = app("adam")
    rule = next(latex for latex in display_math(at) if "sqrt" in latex)
    assert r"\begin{gathered}" in rule and rule.count(r"\\") == 2


def test_every_literal_key_in_the_code_exists():
    from app_pages.i18n import STRINGS
    sources = [ROOT / "app.py", *(ROOT / "app_pages").glob("*.py")]
    used = {key for path in sources for key in re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_0-9]+)["']""", path.read_text())}
    assert used and not sorted(used - set(STRINGS["en"]))


def test_every_locale_key_is_used():
    """A string no page asks for is dead weight that translators keep up: each key is named in the
    code, or formed there by an f-string such as t(f"surface.{name}")."""
    from app_pages.i18n import STRINGS
    text = "\n".join(p.read_text() for p in [ROOT / "app.py", *(ROOT / "app_pages").glob("*.py")])
    literal = set(re.findall(r"[\"']([a-z_]+\.[a-z_0-9]+)[\"']", text))
    formed = re.findall(r"\bf([\"'])([a-z_]*(?:\{[^}]*\})?[a-z_]*\.[a-z_0-9]*\{[^}]*\}[a-z_0-9]*|\{[^}]*\}\.[a-z_0-9]+)\1", text)
    patterns = [re.compile("^" + re.sub(r"\\\{[^}]*\\\}", "[a-z_0-9]+", re.escape(f)) + "$") for _, f in formed
                if re.sub(r"\{[^}]*\}", "", f) != "."]  # (i18n.py's own f"{section}.{key}" names every key)
    unused = sorted(k for k in STRINGS["en"] if k not in literal and not any(p.match(k) for p in patterns))
    assert not unused


def test_names_from_the_core_all_have_strings():
    import optimizers
    import surfaces
    from app_pages.i18n import STRINGS
    keys = set(STRINGS["en"])
    assert {f"surface.{name}" for name in surfaces.names()} <= keys
    assert {f"optimizer.{name}" for name in [*optimizers.names(), "heavy_ball", "nesterov"]} <= keys
    assert {f"schedule.{name}" for name in optimizers.schedule_names()} <= keys
    params = {p for table in surfaces.PARAMETERS.values() for p in table} - {"seed"}
    assert {f"surface.{p}" for p in params} <= keys


def test_chinese_reads_as_a_textbook_not_a_literal_translation():
    """The phrasings a reader flagged are gone, and a step index is 第几步, never 步数 (a count)."""
    from app_pages.i18n import STRINGS
    zh = STRINGS["zh"]
    text = "\n".join(zh.values())
    for phrase in ("一个诚实的局限", "逐步账本", "浅坑只对比", "在一个真正的极小值旁边有一个浅坑的碗上"):
        assert phrase not in text
    assert re.search(r"(?<!梯度)下降实验室", text) is None
    for key in ("saddle.escaped_at", "saddle.left_at", "saddle.inspect_step", "adaptive.reached"):
        assert "步数" not in zh[key] and "第几步" in zh[key]


def test_playground_labels_name_the_penalties():
    at = app("playground", pg_o0_weight_decay="0.1", pg_o1_l1="0.5")
    names = " ".join(json.dumps(spec["data"], ensure_ascii=False) for spec in figure_specs(at))
    assert "+ L2 λ = 0.1" in names and "+ L1 λ₁ = 0.5" in names


def test_a_typed_formula_runs_in_the_playground_and_names_itself():
    at = app("playground", pg_surface="formula", pg_formula="x**2 + 10*y**2", pg_formula_span="2")
    assert_healthy(at)
    assert not at.warning
    assert any(r"{x}^{2} + 10\,{y}^{2}" in latex for latex in display_math(at))  # what was understood
    race = figure_specs(at)[0]
    assert race["layout"]["title"]["text"] == "f(x, y) = x**2 + 10*y**2"
    assert race["layout"]["xaxis"]["range"][0] >= -2.2 and race["layout"]["xaxis"]["range"][1] <= 2.2
    board = tables(at)[0]
    assert board.iloc[0, 1].isdigit()  # the leader comes within tolerance of the numerically found minimum


@pytest.mark.parametrize("page, key", [("playground", "pg_formula"), ("adam", "adam_formula"),
                                       ("saddle", "sd_formula")])
def test_a_bad_formula_in_a_link_gets_a_notice_and_the_default(page, key):
    surface_key = {"playground": "pg_surface", "adam": "adam_surface", "saddle": "sd_surface"}[page]
    at = app(page, **{surface_key: "formula", key: "__import__('os').system('id')"})
    assert_healthy(at)
    notice = at.warning[0].value
    assert f"**{key}**" in notice and "unexpected character" in notice and "position 12" in notice
    assert at.text_input(key=key).value != "__import__('os').system('id')"
    assert figure_specs(at)


def test_a_typed_formula_that_is_not_one_is_reported_as_text():
    at = app("playground", pg_surface="formula")
    at.text_input(key="pg_formula").input("x + [evil](https://evil.example/x) ![t](https://evil.example/t.png)").run()
    assert not at.exception
    message = at.error[0].value
    assert "cannot be used" in message and "unexpected character" in message
    assert "](" not in message.replace("\\]\\(", "")  # every bracket escaped: no live link, no image
    assert figure_specs(at)  # the default formula is drawn meanwhile


def test_the_csv_export_names_the_formula_and_holds_the_runs_exactly():
    import io

    import numpy as np
    import pandas as pd

    import optimizers
    import surfaces
    from app_pages import common
    where = surfaces.formula("x**2 + 10*y**2")
    runs = (common.Run("gd", 0.05, 20, label="1. GD, α = 0.05"), common.Run("adam", 0.1, 20, label="2. Adam"))
    paths = [optimizers.run(where, run.optimizer, steps=run.steps, lr=run.lr) for run in runs]
    table = pd.read_csv(io.StringIO(common.trajectories_csv(runs, paths, "f(x, y) = x**2 + 10*y**2")))
    assert set(table["surface"]) == {"f(x, y) = x**2 + 10*y**2"} and len(table) == 42
    adam = table[table["optimizer"] == "2. Adam"]
    np.testing.assert_array_equal(adam[["theta1", "theta2"]].to_numpy(), paths[1].points)  # 17 digits: exact
    np.testing.assert_array_equal(adam["loss"].to_numpy(), paths[1].loss)


def test_a_pages_cached_function_is_made_once_across_reruns(monkeypatch):
    """A page's module runs anew on every rerun; Streamlit's decorator read the function's source
    each time. common.cached makes the cached function once per code and keeps it."""
    import inspect

    from app_pages import common
    source = "@common.cached(max_entries=2)\ndef twice(x):\n    return 2 * x\n"
    page = [source]  # what the file holds (exec'd code has no file for inspect to read)
    reads = []
    monkeypatch.setattr(inspect, "getsource", lambda function: reads.append(function) or page[0])
    made = []
    for _ in range(3):  # three reruns of the same page source
        namespace = {"common": common}
        exec(compile(source, "a_page.py", "exec"), namespace)
        made.append(namespace["twice"])
    assert made[0] is made[1] is made[2] and made[0](4) == 8
    assert len(reads) == 1
    page[0] = source.replace("2 * x", "3 * x")  # the page was edited
    namespace = {"common": common}
    exec(compile(page[0], "a_page.py", "exec"), namespace)
    assert namespace["twice"] is not made[0] and namespace["twice"](4) == 12


# For each chart page a control and two of its values (those bench/load.py and bench_pages.py move).
SEEN_AGAIN = {"playground": ("pg_steps", 300, 310), "ema": ("ema_beta", 0.8, 0.81), "minibatch": ("mb_epochs", 2, 3),
              "momentum": ("mo_beta", 0.8, 0.81), "adaptive": ("rms_beta", 0.8, 0.81), "adam": ("adam_beta1", 0.8, 0.81),
              "decay": ("dc_noise", 0.5, 0.6), "saddle": ("sd_noise", 0.015, 0.02), "sharp_flat": ("sf_sigma", 4.0, 4.5),
              "normalization": ("fn_scaling", 0.05, 0.1), "batchnorm": ("bn_steps", 70, 80),
              "network": ("nw_epochs", 9000, 8000), "regularization": ("rg_angle", -30.0, -20.0)}


def test_every_chart_page_moves_a_control_here():
    assert sorted(SEEN_AGAIN) == CHART_PAGES


@pytest.mark.parametrize("page", sorted(SEEN_AGAIN))
def test_a_setting_seen_before_encodes_no_large_figure_again(page, monkeypatch):
    """Encoding a figure and compressing it costs ≈ 2.4 ms per 100 kB of JSON, on every rerun that
    builds it: a figure that large is cached whole, with its compressed bytes, so going back to a
    setting encodes only small figures (lessons 6, 8 and 11 encoded 0.2–0.3 MB each time)."""
    import figures.style
    key, first, second = SEEN_AGAIN[page]

    def move(value):
        (find(at, "slider", key) or find(at, "select_slider", key)).set_value(value).run()
        assert_healthy(at)
    at = app(page)
    move(first)
    move(second)
    encoded = []
    real = figures.style.Prepared.json
    monkeypatch.setattr(figures.style.Prepared, "json", lambda self: encoded.append(len(text := real(self))) or text)
    move(first)
    assert max(encoded, default=0) < 100_000, encoded


def test_every_run_gets_its_own_pages_titled_in_its_language():
    """The pages are built once per language, and every run gets copies: st.navigation marks the page
    it returns as the one that may run, and sessions running at once must never share that mark."""
    from app_pages import common
    from app_pages.i18n import STRINGS, use_language
    for language in ("zh", "en"):
        assert_healthy(app("momentum", lang=language))
    for language in ("zh", "en"):
        use_language(language)
        first, second = common.pages(), common.pages()
        shown = [page for section in first.values() for page in section]
        assert [page.title for page in shown][:3] == [STRINGS[language]["pages.home"], STRINGS[language]["pages.playground"],
                                                      f"1. {STRINGS[language]['pages.ema']}"]
        again = [page for section in second.values() for page in section]
        assert all(a is not b and a.url_path == b.url_path for a, b in zip(shown, again))
        assert len(shown) == 2 + len(LESSONS)
    use_language("en")


def test_a_player_gets_its_figures_as_bytes_and_everything_else_as_one_text():
    """Streamlit tests every argument of a component that is not bytes for a dataframe (≈ 0.25 ms a
    player for a list of lists and a dict, on every rerun): a player has one such argument, a text."""
    at = app("momentum")
    assert_healthy(at)
    players = at.get("component_instance")
    assert len(players) >= 4
    for element in players:
        args = json.loads(element.proto.json_args)
        assert set(args) == {"about", "key", "default"} and isinstance(args["about"], str)
        assert set(json.loads(args["about"])) == {"parts", "full", "options", "digest"}
        assert [a.key for a in element.proto.special_args] == ["specs"]
