"""app_pages/server.py: Streamlit's server with Nagle off on every connection, one event-loop
wake-up per burst of a script's events, in order, and one send per burst of a connection's writes."""

import asyncio
import subprocess
import sys
from pathlib import Path

from app_pages import server

ROOT = Path(__file__).resolve().parent.parent

# A connection accepted by an asyncio server on a listening socket bound as Streamlit binds it
# (socket.socket(AF_INET, SOCK_STREAM): protocol number 0); prints its TCP_NODELAY before and after
# server.install(). In a fresh process: the test process may have installed it already.
PROBE = """
import asyncio, socket
from app_pages import server

async def accepted_nodelay():
    loop = asyncio.get_running_loop()
    seen = loop.create_future()
    class Protocol(asyncio.Protocol):
        def connection_made(self, transport):
            sock = transport.get_extra_info("socket")
            seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    served = await loop.create_server(Protocol, sock=listening)
    _, writer = await asyncio.open_connection(*listening.getsockname())
    value = await asyncio.wait_for(seen, 10)
    writer.close()
    served.close()
    return value

before = asyncio.run(accepted_nodelay())
server.install()
print(before, asyncio.run(accepted_nodelay()))
"""


def test_every_connection_gets_tcp_nodelay():
    """asyncio leaves Nagle on for a socket of protocol 0, so a rerun's later messages waited for
    the browser's delayed ACK (40 ms on Linux); after install() every connection turns it off."""
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["0", "1"], result.stderr[-2000:]


class Session:
    """Stands in for Streamlit's AppSession: its own hand-over records what reaches the loop."""

    def __init__(self, loop=None):
        self._event_loop = loop
        self.woken = []  # the callbacks handed to the event loop, one per wake-up

    def call_soon(self, callback):
        self.woken.append(callback)


def on_a_loop(scenario):
    """Run the coroutine function `scenario` on an event loop of its own."""
    return asyncio.run(scenario())


def test_a_burst_of_events_wakes_the_loop_once_and_runs_in_order():
    async def scenario():
        hand_over = server._batched(Session.call_soon)
        session, ran = Session(asyncio.get_running_loop()), []
        for k in range(3):
            hand_over(session, lambda k=k: ran.append(k))
        assert len(session.woken) == 1 and ran == []
        session.woken[0]()  # the wake-up, on the loop: the events run HOLD seconds later
        for k in range(3, 5):  # queued meanwhile: no wake-up of their own, the same run
            hand_over(session, lambda k=k: ran.append(k))
        assert len(session.woken) == 1 and ran == []
        await asyncio.sleep(3 * server.HOLD)
        assert ran == [0, 1, 2, 3, 4]
        hand_over(session, lambda: ran.append(5))  # the queue ran dry: the next event wakes the loop again
        assert len(session.woken) == 2
        session.woken[1]()
        await asyncio.sleep(3 * server.HOLD)
        assert ran == [0, 1, 2, 3, 4, 5]
    on_a_loop(scenario)


def test_an_event_queued_while_the_loop_drains_runs_in_the_same_drain():
    async def scenario():
        hand_over = server._batched(Session.call_soon)
        session, ran = Session(asyncio.get_running_loop()), []
        hand_over(session, lambda: (ran.append("first"), hand_over(session, lambda: ran.append("second"))))
        session.woken[0]()
        await asyncio.sleep(3 * server.HOLD)
        assert ran == ["first", "second"] and len(session.woken) == 1
    on_a_loop(scenario)


class Runtime:
    """Stands in for Streamlit's Runtime: counts the wake-ups its own hook would cost."""

    def __init__(self, loop=None):
        self.event, self.told = asyncio.Event(), 0
        self.loop = loop

    def _get_async_objs(self):
        return type("Objects", (), {"need_send_data": self.event, "eventloop": self.loop})

    def told_once_more(self):  # Streamlit's: call_soon_threadsafe(need_send_data.set), a wake-up
        self.told += 1
        self.event.set()


def test_the_runtime_is_told_of_new_messages_only_when_it_has_not_been_told():
    tell = server._set_once(Runtime.told_once_more)
    runtime = Runtime()  # told from a thread with no running loop: the runtime's own hook
    for _ in range(3):
        tell(runtime)
    assert runtime.told == 1
    runtime.event.clear()  # the loop cleared it to read the queues
    tell(runtime)
    assert runtime.told == 2


def test_the_runtime_is_told_on_its_own_loop_without_a_wake_up():
    async def scenario():
        tell = server._set_once(Runtime.told_once_more)
        runtime = Runtime(asyncio.get_running_loop())
        tell(runtime)
        assert runtime.event.is_set() and runtime.told == 0
    on_a_loop(scenario)


class Transport:
    """Stands in for an asyncio transport: records its writes."""

    def __init__(self):
        self.writes, self.closed = [], False

    def write(self, data):
        self.writes.append(data)

    def is_closing(self):
        return self.closed

    def close(self):
        self.closed = True

    def get_write_buffer_size(self):
        return 0

    def get_extra_info(self, name):
        return f"info {name}"


def test_a_connection_s_writes_within_hold_leave_as_one_and_close_sends_what_is_held():
    async def scenario():
        transport = Transport()
        corked = server._Corked(transport)
        corked.write(b"frame 1;")
        corked.write(b"frame 2;")
        assert transport.writes == [] and corked.get_write_buffer_size() == 16
        await asyncio.sleep(3 * server.HOLD)
        assert transport.writes == [b"frame 1;frame 2;"] and corked.get_write_buffer_size() == 0
        corked.write(b"close frame")
        corked.close()
        assert transport.writes == [b"frame 1;frame 2;", b"close frame"] and transport.closed
        assert corked.get_extra_info("peername") == "info peername"  # the rest as the transport has it
        await asyncio.sleep(3 * server.HOLD)
        assert len(transport.writes) == 2  # the timer of the held write was cancelled
    on_a_loop(scenario)


def test_the_app_runs_with_every_patch_in_place():
    """The installed Streamlit and uvicorn still have what the patches replace (else they would be
    left out)."""
    from streamlit.runtime.app_session import AppSession
    from streamlit.runtime.runtime import Runtime as StreamlitRuntime
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    server.install()
    assert getattr(AppSession._call_soon_on_event_loop, "descent_batched", False)
    assert StreamlitRuntime._enqueued_some_message.__qualname__.endswith("enqueued_some_message")
    assert StreamlitRuntime._enqueued_some_message.__module__ == server.__name__
    assert getattr(WebSocketsSansIOProtocol.connection_made, "descent_corked", False)
