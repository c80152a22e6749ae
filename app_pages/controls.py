"""Widgets whose values live in the page's URL, so that a link reproduces the view exactly.

Each control reads its query parameter the first time it is drawn in a session (a bad value is
reported once and replaced by the default), and writes its value back on every run (defaults are
left out to keep links short). Values travel as stable ids, never as translated labels.
"""

import math
import unicodedata
from contextvars import ContextVar

import streamlit as st

from .i18n import t

NOTICES = "_url_notices"
_RANGE = "_range_"  # + a number control's key: the range it was drawn with last
# The query parameters that a control drawn in this run reads or writes; the rest are dropped from
# the link at the end of the run (a value for a control that is not on the page would otherwise sit
# in the URL unchecked and be passed on). Each script run has its own context.
_claimed = ContextVar("claimed_parameters")


def _url_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(value, "g") if abs(value) >= 1e-4 or value == 0 else format(value, ".6g")
    return str(value)


def _has(key):
    """`key in st.session_state` without building the whole state (the proxy has no __contains__)."""
    try:
        st.session_state[key]
    except KeyError:
        return False
    return True


def inert(text, limit=40):
    """A visitor's text made safe to show inside a markdown code span, where nothing is markup: one
    line (control, format and separator characters become spaces, so no paragraph break can end
    the span), no backticks (which could close it), at most `limit` characters (a hostile link must
    not flood the page)."""
    spaced = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in str(text))
    shown = " ".join(spaced.split()).replace("`", "'") or "∅"
    return shown if len(shown) <= limit else shown[:limit - 1] + "…"


_MARKUP = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|<>~$:"})


def escaped(text, limit=200):
    """Text for a markdown message that may quote a visitor (a formula's error names the character
    or word it stopped at): one line, every markdown character backslash-escaped, so it shows as
    itself and never as markup."""
    spaced = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in str(text))
    shown = " ".join(spaced.split())
    shown = shown if len(shown) <= limit else shown[:limit - 1] + "…"
    return shown.translate(_MARKUP)


def _notice(key, raw, reason):
    notice = {"key": key, "value": inert(raw), "reason": escaped(reason)}
    notices = st.session_state.setdefault(NOTICES, [])
    if notice not in notices:  # a value read twice (the language: seeded, then drawn) is told once
        notices.append(notice)


def begin_run():
    """Start counting the query parameters this run's controls claim."""
    _claimed.set(set())


def _claim(key):
    _claimed.get(set()).add(key)


def drop_unclaimed():
    """Remove every query parameter that no control of this run claimed."""
    claimed = _claimed.get(None)
    if claimed is None:
        return
    for key in [key for key in st.query_params if key not in claimed]:
        del st.query_params[key]


def _seed_from_url(key, parse):
    """First sight of `key` this session: take a valid URL value into session state."""
    _claim(key)
    if _has(key):
        return
    raw = st.query_params.get(key)
    if raw is None:
        return
    try:
        st.session_state[key] = parse(raw)
    except ValueError as reason:
        _notice(key, raw, str(reason))


def _write_url(key, value, default):
    _claim(key)
    if value == default or value is None:
        if key in st.query_params:
            del st.query_params[key]
    else:
        text = _url_text(value)
        if st.query_params.get(key) != text:
            st.query_params[key] = text


def _number_parser(low, high, integer):
    def parse(raw):
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and low <= value <= high) or (integer and not value.is_integer()):
            raise ValueError(t("common.invalid_number", low=_url_text(low), high=_url_text(high)))
        return int(value) if integer else value
    return parse


def _option_parser(options):
    def parse(raw):
        for option in options:
            if _url_text(option) == raw:
                return option
        if all(isinstance(o, (int, float)) and not isinstance(o, bool) for o in options):
            try:
                value = float(raw)
            except ValueError:
                value = math.nan
            for option in options:
                if math.isclose(value, option, rel_tol=1e-9):
                    return option
        raise ValueError(t("common.invalid_option", options=", ".join(_url_text(o) for o in options)))
    return parse


def _toggle_parser(raw):
    text = raw.strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise ValueError(t("common.invalid_toggle"))


def _keep_across_ranges(key, low, high, step):
    """Streamlit takes a slider (or number box) whose range changed for a new widget, which starts
    at its default: a step inspector would jump back to step 0 when "steps" changes. It keeps its
    value instead, moved into the new range. (Written only then: a value set through session state
    on every run would overwrite a drag still under way in the browser.)"""
    shape = (low, high, step)
    previous = st.session_state.get(_RANGE + key)
    st.session_state[_RANGE + key] = shape
    if previous is not None and previous != shape and _has(key):
        st.session_state[key] = min(max(st.session_state[key], low), high)


def _number_control(widget, key, label, low, high, default, step, fmt, help):
    integer = all(isinstance(v, int) for v in (low, high, default, step if step is not None else 1))
    _seed_from_url(key, _number_parser(low, high, integer))
    _keep_across_ranges(key, low, high, step)
    initial = {} if _has(key) else {"value": default}
    value = widget(label, min_value=low, max_value=high, step=step, key=key, format=fmt, help=help, **initial)
    _write_url(key, value, default)
    return value


def slider(key, label, low, high, default, step=None, *, where=st, fmt=None, help=None):
    """A number slider; integers when low, high, default and step are all int."""
    return _number_control(where.slider, key, label, low, high, default, step, fmt, help)


def number(key, label, low, high, default, step=None, *, where=st, fmt=None, help=None):
    return _number_control(where.number_input, key, label, low, high, default, step, fmt, help)


# Keys of the controls over option ids. Their browser state is the option's label, which changes with
# the language: hold_options keeps their values across a language switch.
_OPTION_KEYS = set()


def hold_options():
    """The language control's callback: each option control keeps the option it had. (It runs while
    the previous run's labels still decode the browser's state; the next run draws the new labels.)"""
    for key in _OPTION_KEYS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def _option_control(widget, initial_argument, key, label, options, default, **kwargs):
    """A widget over stable option ids; `initial_argument` names how the widget takes its default."""
    _OPTION_KEYS.add(key)
    options = list(options)
    _seed_from_url(key, _option_parser(options))
    if st.session_state.get(key) not in options:
        st.session_state.pop(key, None)  # e.g. the options changed under a stored value
    initial = {}
    if not _has(key):
        initial[initial_argument] = options.index(default) if initial_argument == "index" else default
    value = widget(label, options, key=key, **initial, **kwargs)
    _write_url(key, value, default)
    return value


def select(key, label, options, default, *, where=st, format_func=str, help=None):
    """A dropdown over stable option ids, shown through format_func (which may translate)."""
    return _option_control(where.selectbox, "index", key, label, options, default, format_func=format_func,
                           help=help)


def choice(key, label, options, default, *, where=st, format_func=str, help=None, on_change=None):
    """A row of buttons (segmented control) for a few options: one click on a projector."""
    return _option_control(where.segmented_control, "default", key, label, options, default,
                           format_func=format_func, help=help, required=True, on_change=on_change)


def select_slider(key, label, options, default, *, where=st, format_func=str, help=None):
    """A slider over a fixed list of values (e.g. learning rates on a log scale)."""
    return _option_control(where.select_slider, "value", key, label, options, default, format_func=format_func,
                           help=help)


def text(key, label, default, parse, *, where=st, help=None, max_chars=None):
    """A text box whose URL value must pass `parse` (text -> value, ValueError with the reason): a
    bad link gets a notice and the default. The box itself may hold anything; the page checks it."""
    _seed_from_url(key, lambda raw: (parse(raw), raw)[1])
    initial = {} if _has(key) else {"value": default}
    value = where.text_input(label, key=key, help=help, max_chars=max_chars, **initial)
    _write_url(key, value, default)
    return value


def toggle(key, label, default, *, where=st, help=None):
    _seed_from_url(key, _toggle_parser)
    initial = {} if _has(key) else {"value": default}
    value = where.toggle(label, key=key, help=help, **initial)
    _write_url(key, value, default)
    return value


def tabs(key, ids, labels, default=None):
    """Lazily rendered tabs; the open one travels in the URL by id. Returns {id: tab}."""
    ids = list(ids)
    default = default or ids[0]
    by_label = dict(zip(labels, ids))
    raw = st.query_params.get(key)
    if raw is not None and raw not in ids:
        _notice(key, raw, t("common.invalid_option", options=", ".join(ids)))
        raw = None
    stored = by_label.get(st.session_state.get(key))
    if stored is None:  # first run, or labels changed with the language
        st.session_state.pop(key, None)
    chosen = stored or raw or default
    containers = st.tabs(labels, key=key, on_change="rerun", default=labels[ids.index(chosen)])
    current = next((i for i, tab in zip(ids, containers) if tab.open), chosen)
    _write_url(key, current, default)
    return dict(zip(ids, containers))


def seed(key, options):
    """Take `key` from the URL now, before any widget (e.g. the language, which every label needs)."""
    _seed_from_url(key, _option_parser(list(options)))


def take_notices():
    """The bad URL values met during this run (then forgotten)."""
    return st.session_state.pop(NOTICES) if _has(NOTICES) else []
