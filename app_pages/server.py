"""Streamlit's server, with two hand-overs made prompt (measured on lesson 1: a rerun's wall time
52 → 28 ms; lesson 7's CPU 36–41 → 31–33 ms).

* **TCP_NODELAY.** asyncio turns Nagle's algorithm off only on sockets whose protocol number is
  IPPROTO_TCP; Streamlit binds its listening socket with protocol 0, so every connection kept
  Nagle on. After the first few messages of a rerun the rest then waited for the browser's delayed
  ACK: 40 ms on Linux, on every rerun. Here every TCP connection gets TCP_NODELAY.
* **One wake-up per burst.** Streamlit hands each event of a script run (≈ 40–70 a rerun) from the
  script's thread to the event loop with its own `call_soon_threadsafe`: a write to the loop's
  wake-up socket, which releases the GIL and leaves the script waiting to get it back (16 % of the
  script thread's time). Here a session's events wait in one queue, in order, and the loop is woken
  only when the queue was empty; it then runs all of them. The runtime's "messages to send" event
  is likewise set only when it is not set already.

`python -m app_pages.server run app.py …` is `streamlit run` with both in place from the first
connection (make run, make serve and the tests start it so); under a bare `streamlit run` they take
effect when the first page runs. Written against Streamlit 1.67 (requirements.txt pins it); with a
Streamlit whose internals differ, the event hand-over is left alone and the log says so.
"""

import asyncio.base_events
import collections
import logging
import socket
import sys
import threading

_LOCK = threading.Lock()


def _nodelay(sock):
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _batched(original):
    def call_soon_on_event_loop(self, callback):
        with _LOCK:
            queue = self.__dict__.setdefault("_descent_events", collections.deque())
            queue.append(callback)
            if len(queue) > 1:  # a wake-up is already on its way, and its drain runs this one too
                return
        original(self, lambda: _drain(queue))
    call_soon_on_event_loop.descent_batched = True
    return call_soon_on_event_loop


def _drain(queue):
    """On the event loop: every queued event in order, including those queued meanwhile."""
    while True:
        with _LOCK:
            if not queue:
                return
            callback = queue[0]
        try:
            callback()
        finally:
            with _LOCK:
                queue.popleft()


def _set_once(original):
    def enqueued_some_message(self):
        # Once set, the event is cleared only just before the queues are read: skipping is safe.
        if not self._get_async_objs().need_send_data.is_set():
            original(self)
    return enqueued_some_message


def install():
    """Both patches, once per process."""
    asyncio.base_events._set_nodelay = _nodelay
    try:
        from streamlit.runtime.app_session import AppSession
        from streamlit.runtime.runtime import Runtime
        session_hook, runtime_hook = AppSession._call_soon_on_event_loop, Runtime._enqueued_some_message
        Runtime._get_async_objs  # noqa: B018  (what the runtime hook reads)
    except (ImportError, AttributeError) as error:
        logging.getLogger("descent_lab").warning("Streamlit's event hand-over left as it is (%s)", error)
        return
    if not getattr(session_hook, "descent_batched", False):
        AppSession._call_soon_on_event_loop = _batched(session_hook)
        Runtime._enqueued_some_message = _set_once(runtime_hook)


if __name__ == "__main__":
    install()
    from streamlit.web.cli import main
    sys.exit(main(prog_name="streamlit"))
