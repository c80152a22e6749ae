"""app_pages/server.py: Streamlit's server with Nagle off on every connection and one event-loop
wake-up per burst of a script's events, in order."""

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

    def __init__(self):
        self.woken = []  # the callbacks handed to the event loop, one per wake-up

    def call_soon(self, callback):
        self.woken.append(callback)


def test_a_burst_of_events_wakes_the_loop_once_and_runs_in_order():
    hand_over = server._batched(Session.call_soon)
    session, ran = Session(), []
    for k in range(5):
        hand_over(session, lambda k=k: ran.append(k))
    assert len(session.woken) == 1 and ran == []
    session.woken[0]()
    assert ran == [0, 1, 2, 3, 4]
    hand_over(session, lambda: ran.append(5))  # the queue ran dry: the next event wakes the loop again
    assert len(session.woken) == 2
    session.woken[1]()
    assert ran == [0, 1, 2, 3, 4, 5]


def test_an_event_queued_while_the_loop_drains_runs_in_the_same_drain():
    hand_over = server._batched(Session.call_soon)
    session, ran = Session(), []
    hand_over(session, lambda: (ran.append("first"), hand_over(session, lambda: ran.append("second"))))
    session.woken[0]()
    assert ran == ["first", "second"] and len(session.woken) == 1


def test_the_runtime_is_told_of_new_messages_only_when_it_has_not_been_told():
    class Event:
        def __init__(self):
            self.flag = False

        def is_set(self):
            return self.flag

    class Runtime:
        def __init__(self):
            self.event, self.told = Event(), 0

        def _get_async_objs(self):
            return type("Objects", (), {"need_send_data": self.event})

        def told_once_more(self):
            self.told += 1
            self.event.flag = True

    tell = server._set_once(Runtime.told_once_more)
    runtime = Runtime()
    for _ in range(3):
        tell(runtime)
    assert runtime.told == 1
    runtime.event.flag = False  # the loop cleared it to read the queues
    tell(runtime)
    assert runtime.told == 2


def test_the_app_runs_with_both_in_place():
    """The installed Streamlit still has what the patches replace (else they would be left out)."""
    from streamlit.runtime.app_session import AppSession
    from streamlit.runtime.runtime import Runtime
    server.install()
    assert getattr(AppSession._call_soon_on_event_loop, "descent_batched", False)
    assert Runtime._enqueued_some_message.__qualname__.endswith("enqueued_some_message")
    assert Runtime._enqueued_some_message.__module__ == server.__name__
