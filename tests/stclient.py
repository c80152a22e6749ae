"""A Streamlit client that speaks the browser's websocket protocol, for load tests and probes.

It does what the browser's app does: connects to /_stcore/stream, asks for a page with its query
string, sends widget changes as BackMsg protobufs, keeps the hashes of cacheable messages (so the
server sends references, as to a browser), and reads ForwardMsgs until the script run finishes.

    async with Session("http://127.0.0.1:8501") as session:
        first = await session.open("momentum", "mo_beta=0.9")
        after = await session.change("mo_steps", 120)
"""

import asyncio
import json
import time
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState


@dataclass
class Run:
    """What one script run sent back."""

    seconds: float  # from the request to the script's end
    bytes: int  # websocket payload received
    messages: int
    query: str  # the page's query string after the run
    widgets: dict  # user key → widget element (proto) drawn in this run
    exceptions: list  # exception messages shown on the page
    alerts: list  # (kind, text) of st.warning / st.error / st.info
    charts: int  # plotly charts (new or by reference)
    status: str  # the script_finished status
    markdown: list = field(default_factory=list)
    started: int = 0  # script runs the server began meanwhile (new_session messages)


def _user_key(widget_id):
    """Streamlit ids of keyed widgets are '$$ID-<hash>-<key>' (a chart's key is 'chart-<its key>', so
    never a control's). Ids of widgets without a key have no user part."""
    parts = widget_id.split("-", 2)
    return parts[2] if widget_id.startswith("$$ID-") and len(parts) == 3 else None


class Session:
    """One browser tab."""

    def __init__(self, base, timeout=120):
        self.url = base.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
        self.origin = base.rstrip("/")
        self.timeout = timeout
        self.cached = set()
        self.page = None
        self.query = ""
        self.widgets = {}
        self.fragments = {}  # user key → the fragment its widget was drawn in (the browser reruns only that)
        self.socket = None
        self.fired = None

    async def __aenter__(self):
        self.socket = await websockets.connect(self.url, subprotocols=["streamlit"], origin=self.origin,
                                               max_size=None, open_timeout=self.timeout, ping_interval=None)
        return self

    async def __aexit__(self, *exc):
        await self.socket.close()

    async def _send(self, states=(), fragment=""):
        message = BackMsg()
        client = message.rerun_script
        client.query_string = self.query
        client.page_name = self.page
        client.fragment_id = fragment
        client.widget_states.widgets.extend(states)
        client.cached_message_hashes.extend(sorted(self.cached))
        await self.socket.send(message.SerializeToString())

    async def _rerun(self, states=(), fragment=""):
        started = time.perf_counter()
        await self._send(states, fragment)
        return await self._read(started)

    async def _read(self, started):
        received = count = charts = runs = 0
        widgets, exceptions, alerts, markdown = {}, [], [], []
        status = ""
        while True:
            raw = await asyncio.wait_for(self.socket.recv(), self.timeout)
            received += len(raw)
            count += 1
            message = ForwardMsg.FromString(raw)
            if message.metadata.cacheable:
                self.cached.add(message.hash)
            kind = message.WhichOneof("type")
            if kind == "new_session":
                runs += 1
            elif kind == "ref_hash":
                charts += 1  # the only big cacheable messages here are charts
            elif kind == "page_info_changed":
                self.query = message.page_info_changed.query_string
            elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                element = message.delta.new_element
                which = element.WhichOneof("type")
                body = getattr(element, which)
                key = _user_key(getattr(body, "id", "")) if hasattr(body, "id") else None
                if key:
                    widgets[key] = (which, body)
                    self.fragments[key] = message.delta.fragment_id
                if which == "exception":
                    exceptions.append(f"{body.type}: {body.message}")
                elif which == "alert":
                    alerts.append((body.format, body.body))
                elif which in ("plotly_chart", "component_instance"):
                    charts += 1
                elif which == "markdown":
                    markdown.append(body.body)
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(message.script_finished)
                if status != "FINISHED_EARLY_FOR_RERUN":
                    break
        self.widgets.update(widgets)
        return Run(time.perf_counter() - started, received, count, self.query, widgets, exceptions, alerts,
                   charts, status, markdown, runs)

    async def open(self, page, query=""):
        """Load a page as a browser does from its URL."""
        self.page, self.query = page, query
        return await self._rerun()

    async def change(self, key, value):
        """Set the widget with this key (as the browser would after a drag or click) and rerun."""
        which, body = self.widgets[key]
        return await self._rerun([widget_state(which, body, value)], self.fragments.get(key, ""))

    async def fire(self, key, values):
        """One change after another without waiting for any (a key held down, a frantic tab)."""
        which, body = self.widgets[key]
        self.fired = time.perf_counter()
        for value in values:
            await self._send([widget_state(which, body, value)], self.fragments.get(key, ""))

    async def settle(self, shown):
        """After fire(): the messages until the run whose query string contains `shown` (the last
        value) finishes. Returns that Run; its `started` counts every script run the burst caused."""
        runs = 0
        while True:
            run = await self._read(self.fired)
            runs += run.started
            if run.status == "FINISHED_SUCCESSFULLY" and shown in run.query.split("&"):
                run.started = runs
                return run

    async def send_raw(self, widget_id, **value):
        """A crafted widget state (e.g. a chart selection no browser would send)."""
        return await self._rerun([WidgetState(id=widget_id, **value)])


def widget_state(which, body, value):
    """The WidgetState the browser sends for `value` on this element."""
    state = WidgetState(id=body.id)
    if which == "slider" and body.options:  # select_slider: the formatted option
        state.string_array_value.data.extend([str(value)])
    elif which == "slider":
        state.double_array_value.data.extend([float(value)])
    elif which in ("checkbox", "toggle"):
        state.bool_value = bool(value)
    elif which == "selectbox":
        state.string_value = str(value)
    elif which == "number_input":
        state.double_value = float(value)
    elif which == "button_group":
        state.string_array_value.data.extend([str(value)])
    elif which == "plotly_chart":
        state.string_value = json.dumps(value)
    elif which == "component_instance":  # the player: a click on the map
        state.json_value = json.dumps(value)
    else:
        raise ValueError(f"no widget state for {which}")
    return state
