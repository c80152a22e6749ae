"""What every page shares: the settings sidebar, cached simulation, figure helpers and text boxes."""

import copy
import csv
import dataclasses
import functools
import gc
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st

import figures
import optimizers
import surfaces

from . import controls, player, server
from .i18n import LANGUAGE_KEY, LANGUAGES, language, t, use_language

PROJECTOR_KEY = "projector"
SPEED_KEY = "speed"
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0)

# The curriculum's lessons, by their number in it (DESIGN.md §2).
LESSONS = ((1, "ema"), (2, "minibatch"), (3, "momentum"), (4, "adaptive"), (5, "adam"), (6, "decay"),
           (7, "saddle"), (8, "sharp_flat"), (9, "normalization"), (10, "batchnorm"), (11, "regularization"),
           (12, "network"))
EPSILONS = (1e-10, 1e-8, 1e-6, 1e-4, 1e-2)  # the ε choices of RMSprop, AdaGrad and Adam
# Learning rates offered on a log scale: 1, 2, 5 per decade.
LEARNING_RATES = tuple(float(f"{m}e{e}") for e in range(-4, 1) for m in (1, 2, 5)) + (2.0,)

# Less padding around the page (a 1024×768 projector has no pixels to spare); projector mode scales
# every rem-sized element through the root font size.
PAGE_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 3.75rem; padding-left: 2rem; padding-right: 2rem; }
h1 { font-size: 2.2rem !important; padding-top: 0 !important; }
</style>"""
PROJECTOR_CSS = """<style>
html { font-size: 22px; }
.stMarkdown p, .stMarkdown li { line-height: 1.45; }
[data-testid="stHeader"] { height: 48px; min-height: 48px; }
[data-testid="stMainBlockContainer"] { padding-top: 52px; }
h1 { font-size: 1.6rem !important; }
h2, h3 { font-size: 1.25rem !important; padding: 0.35rem 0 !important; }
</style>"""


def projector_requested():
    """Projector mode as the URL or the session has it (read before the page is laid out)."""
    stored = st.session_state.get(PROJECTOR_KEY)
    if stored is not None:
        return bool(stored)
    return str(st.query_params.get(PROJECTOR_KEY, "")).lower() in ("true", "1", "yes", "on")


def settings_sidebar():
    """Language, projector mode and animation speed: in the sidebar of every page and in the URL."""
    controls.seed(LANGUAGE_KEY, LANGUAGES)
    use_language(st.session_state.get(LANGUAGE_KEY, "en"))
    st.html(PAGE_CSS)
    with st.sidebar:
        st.markdown(f"**{t('app.settings')}**")
        use_language(controls.choice(LANGUAGE_KEY, t("app.language"), list(LANGUAGES), "en",
                                     format_func=LANGUAGES.get, on_change=controls.hold_options))
        projector = controls.toggle(PROJECTOR_KEY, t("app.projector"), False, help=t("app.projector_help"))
        controls.select_slider(SPEED_KEY, t("app.speed"), SPEEDS, 1.0, format_func=lambda s: f"{s:g}×",
                               help=t("app.speed_help"))
    if projector:
        st.html(PROJECTOR_CSS)


@functools.lru_cache(maxsize=len(LANGUAGES))
def _pages(code):
    """The app's pages in language `code` (the current one when first asked)."""
    folder = Path(__file__).parent
    return {
        t("app.name"): [
            st.Page(folder / "home.py", title=t("pages.home"), url_path="home", icon="🏠", default=True),
            st.Page(folder / "playground.py", title=t("pages.playground"), url_path="playground", icon="🧪"),
        ],
        t("app.lessons"): [st.Page(folder / f"{name}.py", title=f"{number}. {t(f'pages.{name}')}", url_path=name)
                           for number, name in LESSONS],
    }


def pages():
    """The pages for st.navigation, in the session's language. Built once per language (st.Page
    resolves its file's path, ≈ 3 ms a rerun for the fourteen) and handed out as copies:
    st.navigation marks the page it returns as the one that may run, and sessions running at once
    must not share that mark."""
    return {section: [copy.copy(page) for page in shown] for section, shown in _pages(language()).items()}


def home_at_its_name():
    """/home opens the home page: the default page answers only at /, and a typed or old /home link
    would get "Page not found". (Streamlit resolves the page from the intended path's name.)"""
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    pages = getattr(get_script_run_ctx(), "pages_manager", None)
    try:
        if pages.intended_page_name == "home" and not pages.intended_page_script_hash:
            pages.set_script_intent("", "")
    except AttributeError:  # another Streamlit: /home is then "Page not found", nothing worse
        pass


def style():
    return figures.style_for(st.session_state.get(PROJECTOR_KEY, False))


def optimizer_label(name, hyper=None):
    """The optimizer's name, with its penalties when it has any (a race must tell them apart)."""
    hyper = hyper or {}
    label = t(f"optimizer.{figures.variant(name, hyper)}")
    if hyper.get("weight_decay") and name != "adamw":
        label += f" + L2 λ = {hyper['weight_decay']:g}"
    if hyper.get("l1"):
        label += f" + L1 λ₁ = {hyper['l1']:g}"
    return label


def map_labels(axes="theta"):
    x, y = ("common.w", "common.b") if axes == "wb" else ("common.x", "common.y")
    return {"x": t(x), "y": t(y), "step": t("common.step"), "start": t("common.start"), "minimum": t("common.minimum"),
            "gradient": t("common.gradient_arrow"), "update": t("common.update_arrow"),
            "loss": t("common.loss")}


@dataclass(frozen=True)
class Click:
    """Where a click on a map goes: the number controls that take the point, the toggle that makes
    them count, and the map's bounds. Plain values only: a callback that referred to the page's
    own functions would keep that whole run (figures, trajectories) alive in the session."""

    x_key: str
    y_key: str
    flag_key: str
    bounds: tuple  # (xmin, xmax, ymin, ymax)


def clicked_point(points, bounds):
    """The (x, y) of a chart selection when it is a point on the map, else None.

    A click arrives from the browser, so it is checked as a link's value is: numbers, finite, and
    within the bounds (a hair outside, from float32 click grids, is pulled onto the edge)."""
    try:
        x, y = float(points[0]["x"]), float(points[0]["y"])
    except (TypeError, ValueError, KeyError, IndexError, OverflowError):
        return None
    xmin, xmax, ymin, ymax = (float(v) for v in bounds)
    slack = 1e-6 * max(xmax - xmin, ymax - ymin)
    if not (xmin - slack <= x <= xmax + slack and ymin - slack <= y <= ymax + slack):
        return None  # NaN fails every comparison
    return min(max(x, xmin), xmax), min(max(y, ymin), ymax)


def _take_click(chart_key, click):
    value = st.session_state.get(chart_key)
    point = clicked_point([value] if isinstance(value, dict) else None, click.bounds)
    if point is not None:
        st.session_state[click.flag_key] = True
        st.session_state[click.x_key], st.session_state[click.y_key] = point


def section(function):
    """st.fragment for a section with its own control (a step inspector): the control reruns that
    section alone. Such a rerun skips app.py, so the section sets the session's language itself."""
    @functools.wraps(function)
    def run(*args, **kwargs):
        use_language(st.session_state.get(LANGUAGE_KEY, "en"))
        return function(*args, **kwargs)
    return st.fragment(run)


def player_options(clickable=False, columns=None):
    projector = bool(st.session_state.get(PROJECTOR_KEY, False))
    return player.options(style().font_size, st.session_state.get(SPEED_KEY, 1.0), clickable, columns,
                          fit=projector)


def chart(figure, key, click=None):
    """Draw a figure (or a list of figures under one Play); with `click` (a Click), a click on the
    map sets those controls."""
    chart_key = f"chart-{key}"  # never a control's key
    shown = figure if isinstance(figure, (list, tuple)) else [figure]
    on_click = None if click is None else functools.partial(_take_click, chart_key, click)
    player.show(shown, chart_key, player_options(click is not None), on_click)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def plain(value):
    """A control's value as it is typed: 0.035, 1e-08, 200."""
    return f"{value:g}"


def number(value, digits=4):
    """A number for a person: 0.03125, 12.5, 3.2×10⁻²⁵, 1.5×10⁶; — when there is none."""
    if value is None or not np.isfinite(value):
        return "—"
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.{digits}g}" if abs(value) < 10 ** digits else f"{value:.0f}"  # never 1.47e+03
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    return f"{float(mantissa):g}×10{str(int(exponent)).translate(_SUPERSCRIPT)}"


FORMULA_SPANS = (0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0)  # the map of a typed formula: [−s, s]²


def formula_controls(key, where=st, default=surfaces.DEFAULT_FORMULA):
    """A typed formula's text box, its map size and the language it speaks. A text that is not a
    formula is reported (its reason shown as text, never as markup) and `default` drawn instead.
    Returns the formula surface's parameters."""
    text = controls.text(key, t("formula.label"), default, surfaces.compile_formula, where=where,
                         max_chars=surfaces.MAX_FORMULA_LENGTH, help=t("formula.help"))
    span = controls.select_slider(key + "_span", t("formula.span"), FORMULA_SPANS, 3.0, where=where,
                                  format_func=lambda s: f"±{s:g}")
    try:
        surfaces.compile_formula(text)
    except ValueError as error:
        where.error(t("formula.error", reason=controls.escaped(error)), icon="✏️")
        text = default
    with where.expander(t("formula.language")):
        st.markdown(t("formula.language_text"))
    return (("text", text), ("xmax", span), ("xmin", -span), ("ymax", span), ("ymin", -span))


def header(section, *after, **values):
    """The page's title and introduction (with `values` filled in), and the text `after` it, as one
    element; on the projector stage the introduction folds away, so that the key chart and its Play
    sit on the first screen."""
    title, intro = f"# {t(f'{section}.title')}", t(f"{section}.intro", **values)
    if st.session_state.get(PROJECTOR_KEY, False):
        st.markdown(title)
        with st.expander(t("common.about_lesson")):
            st.markdown(intro)
        prose(*after)
    else:
        prose(title, intro, *after)


def prose(*parts):
    """Headings, paragraphs, display math and tables in a row, as one markdown element: after every
    change the browser redraws each element of the page, at about a millisecond each however short
    (a lesson of 40 small elements took 50 ms more than the same text in one)."""
    text = "\n\n".join(part for part in parts if part)
    if text:
        st.markdown(text)


def heading(text):
    return f"### {text}"


def small(text):
    """A caption inside prose: small grey text."""
    return ":small[:gray[" + text.replace("[", "\\[").replace("]", "\\]") + "]]"


def equation(latex):
    """Display math inside prose (st.latex's own element costs its own redraw)."""
    return f"$$\n{latex}\n$$"


def titled(title, text):
    """A bold title over its text, as one element (each element costs the server its own message
    on every rerun)."""
    st.markdown(f"**{title}**\n\n{text}")


def rule_latex(optimizer, hyper, lr):
    """An optimizer's update rule with the current values, one equation a line (a long rule on
    one line ran off the right edge at 1024 px)."""
    equations = optimizers.rule(optimizer, hyper, lr).split(r",\quad ")
    return r"\begin{gathered}" + r" \\ ".join(equations) + r"\end{gathered}"


def what_to_notice(section, keys=None, **values):
    """The guided experiments of a page, with the page's current numbers filled in (`keys`: the
    notices to show when a page picks the variants its current state calls for)."""
    keys = keys or [f"{section}.notice_{i}" for i in (1, 2, 3)]
    with st.container(border=True):  # one element: each costs the server its own message
        st.markdown(f"#### 🔎 {t('common.what_to_notice')}\n" +
                    "\n".join(f"{i}. {t(key, **values)}" for i, key in enumerate(keys, 1)))


# A cell that reads as a number (12, −0.25, 7 480 275, 3.2×10⁻⁵, 91 %, < 3e-05, —): its column is right-aligned.
_NUMERIC = re.compile(r"[<>≈~]?\s*[-+−]?(\d[\d\u2009 ]*)?[.,]?\d*(e[-+]?\d+|×10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)?\s*%?|—|∞")


def cell(value, spec=None):
    """A table cell's text: a string as it is; a number in the format `spec` or as number() writes it."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    return format(float(value), spec) if spec else number(float(value))


def table_markdown(columns, formats=None):
    """A small table as markdown: `columns` (name -> values) or rows (dicts); `formats` (name ->
    format spec) for its number columns. Every cell is escaped (a label may quote a visitor), and a
    column of numbers is right-aligned."""
    if isinstance(columns, list):
        columns = {name: [row[name] for row in columns] for name in (columns[0] if columns else {})}
    formats = formats or {}
    texts = {str(name): [cell(value, formats.get(name)) for value in values] for name, values in columns.items()}
    align = ["---:" if all(_NUMERIC.fullmatch(text) for text in values) else ":---" for values in texts.values()]
    rows = [[controls.escaped(name) for name in texts], align,
            *([controls.escaped(text) for text in row] for row in zip(*texts.values()))]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def table(columns, formats=None):
    """A small table drawn as one markdown element: st.dataframe costs the browser five times as
    much on every rerun (its grid and styles), and a page redraws every element after a change."""
    st.markdown(table_markdown(columns, formats))


def reached_table(labels, columns, steps, extra=None):
    """The markdown of a table with one row per run: for each column of `columns` (title -> first
    steps, None for never) the step at which the run came within tolerance, or "not within N steps";
    then the `extra` columns."""
    rows = {t("playground.col_optimizer"): list(labels)}
    for title, reached in columns.items():
        rows[title] = [t("common.never", steps=steps) if step is None else str(step) for step in reached]
    rows.update(extra or {})
    return table_markdown(rows)


def report_divergence(runs, paths, where=None):
    """One sentence per diverged run: who (on which map, if `where`), at which step, what to try."""
    for run, path in zip(runs, paths):
        if path.diverged_at is not None:
            name = run.label if where is None else f"{run.label} ({where})"
            st.warning(t("common.diverged", name=name, step=path.diverged_at), icon="⚠️")


def update_rules(runs, expanded=True):
    """Each run's update rule with its current values, in one expander (as one element: each costs
    the server its own message on every rerun)."""
    with st.expander(t("common.update_rule"), expanded=expanded):
        st.markdown(rules_markdown(runs))


def rules_markdown(runs):
    """Each run's label and its update rule (display math), as the text of one element."""
    return "\n\n".join(f"**{run.label}**\n\n$$\n{rule_latex(run.optimizer, dict(run.hyper), run.lr)}\n$$"
                       for run in runs)


def ledger(rows, digits=6):
    """One step in numbers: a row per quantity (name -> its two coordinates), θ₁ and θ₂ as columns."""
    table({t("playground.quantity"): list(rows),
           t("common.coordinate_x"): [number(float(v[0]), digits) for v in rows.values()],
           t("common.coordinate_y"): [number(float(v[1]), digits) for v in rows.values()]})


# ----------------------------------------------------------------------------- simulation

@dataclass(frozen=True)
class Run:
    """Everything one optimizer run needs, as plain hashable values (a cache key)."""

    optimizer: str
    lr: float
    steps: int
    hyper: tuple = ()  # (name, value) pairs
    schedule: str = "constant"
    schedule_params: tuple = ()
    warmup: int = 0
    start: tuple = None
    noise: float = 0.0
    seed: int = 0
    batch_size: int = None
    shuffle: bool = True
    label: str = ""
    color: str = None  # default: the optimizer's colour

    def rates(self):
        return optimizers.learning_rates(self.schedule, self.lr, self.steps, warmup=self.warmup,
                                         **dict(self.schedule_params))


_CACHED = {}  # (file, name) -> (code, Streamlit's cached function)


def cached(kind="data", **options):
    """st.cache_data (kind "resource": st.cache_resource) for a page's own functions, made once.
    A page's module runs anew on every rerun, and each time Streamlit's decorator read the
    function's source (inspect.getsource, tokenised: ≈ 0.2 ms a function, 5 % of lesson 8's
    rerun) to name its cache. The first definition's function is kept while the code is the same,
    so a cached function must depend on its arguments and the page's constants only (as Streamlit's
    caches already require)."""
    decorator = (st.cache_data if kind == "data" else st.cache_resource)(show_spinner=False, **options)

    def make(function):
        code = function.__code__
        where = (code.co_filename, function.__qualname__)
        known = _CACHED.get(where)
        if known is None or known[0] != code:  # a new function, or its code was edited
            known = _CACHED[where] = (code, decorator(function))
        return known[1]
    return make


@functools.lru_cache(maxsize=128)
def surface(name, params=()):
    """The surface (immutable: shared by every session). Not st.cache_data: its key hashing and
    copy cost ≈ 0.3 ms a call, and lesson 8 asks for its surface 25 times a rerun."""
    return surfaces.get(name, **dict(params))


def _physics(run):
    """A Run's cache key for the simulation: what it computes, not how it is labelled or coloured
    (a language switch must not rerun every simulation)."""
    return repr(dataclasses.replace(run, label="", color=None))


@st.cache_data(max_entries=256, show_spinner=False, hash_funcs={Run: _physics})
def simulate(surface_name, surface_params, runs):
    """The trajectories of `runs` (a tuple of Run) on one surface."""
    where = surface(surface_name, surface_params)
    return [optimizers.run(where, run.optimizer, start=run.start, steps=run.steps, lr=run.rates(),
                           noise=run.noise, seed=run.seed, batch_size=run.batch_size,
                           shuffle=run.shuffle, **dict(run.hyper))
            for run in runs]


def valley_coordinates(deltas, degrees):
    """Steps (Δx, Δy) on the elongated bowl turned into (along, across) its valley floor."""
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return np.stack([c * deltas[:, 0] + s * deltas[:, 1], -s * deltas[:, 0] + c * deltas[:, 1]], axis=1)


def turns(across):
    """How often the step across the valley changes direction: a zig-zag turns at every step."""
    return int(np.sum(across[1:] * across[:-1] < 0))


def distance(points, where):
    """Each point's distance to the surface's nearest known minimum."""
    minima = np.asarray(where.minima, dtype=np.float64)
    return np.min(np.hypot(points[:, None, 0] - minima[:, 0], points[:, None, 1] - minima[:, 1]), axis=1)


def path_lines(runs, paths):
    """PathLines in each optimizer's colour; a repeated variant gets the next dash style."""
    seen = {}
    lines = []
    for run, path in zip(runs, paths):
        key = figures.variant(run.optimizer, dict(run.hyper))
        dash = figures.DASHES[seen.get(key, 0) % len(figures.DASHES)]
        seen[key] = seen.get(key, 0) + 1
        colour = run.color or figures.color(run.optimizer, dict(run.hyper))
        lines.append(figures.PathLine(run.label or optimizer_label(run.optimizer, dict(run.hyper)), colour,
                                      path.points, dash if run.color is None else "solid"))
    return lines


@st.cache_resource(max_entries=64, show_spinner=False)
def backdrop(surface_name, surface_params=()):
    """The surface's raster and contour lines, shared by every figure of that surface."""
    return figures.backdrop(surface(surface_name, surface_params))


@st.cache_resource(max_entries=64, show_spinner=False, hash_funcs={Run: repr, figures.Style: repr})
def race_figure(surface_name, surface_params, runs, style, labels, progress_total=None, title=None):
    """The animated map of `runs` (cached whole: figure specs are built once per setting)."""
    paths = simulate(surface_name, surface_params, runs)
    return figures.trajectory_figure(surface(surface_name, surface_params), path_lines(runs, paths),
                                     style=style, labels=dict(labels), title=title,
                                     backdrop=backdrop(surface_name, surface_params),
                                     progress_total=progress_total)


def labels_key(axes="theta"):
    """map_labels as a hashable tuple (for the figure caches)."""
    return tuple(sorted(map_labels(axes).items()))


def surface_description(name, params=()):
    """The surface in words for exports: a typed formula as its text, a built-in one by its name and
    parameters, e.g. rosenbrock(a=1, b=100)."""
    params = dict(params)
    if name == "formula":
        return "f(x, y) = " + surface(name, tuple(sorted(params.items()))).params["text"]
    return name + ("(" + ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                                   for k, v in sorted(params.items())) + ")" if params else "")


def trajectories_csv(runs, paths, surface_text=""):
    """Every run, step by step: the numbers behind the figures, for slides and spreadsheets; each row
    names its surface (a typed formula travels with its numbers)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["surface", "optimizer", "step", "theta1", "theta2", "loss", "lr", "grad1", "grad2"])
    for run, path in zip(runs, paths):
        label = run.label or run.optimizer
        rates = np.append(path.lr, np.nan)
        grads = np.vstack([path.grads, [np.nan, np.nan]])
        for k in range(len(path.points)):
            x, y = path.points[k]
            writer.writerow([surface_text, label, k, *(f"{v:.17g}" for v in (x, y, path.loss[k], rates[k],
                                                                               grads[k, 0], grads[k, 1]))])
    return buffer.getvalue()


# Everything imported so far (Streamlit, NumPy, Numba, Plotly, pandas: ≈ 200 000 objects) lives as
# long as the process: move it out of the collector's sight, so that no collection ever sweeps it.
gc.freeze()
server.install()  # when the server was started by a bare `streamlit run`
