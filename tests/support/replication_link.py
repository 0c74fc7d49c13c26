"""A TCP relay on loopback between a Redis replica and its primary, run in threads (the topology harness
blocks the event loop while it waits). hold() stops relaying the primary's stream: the replica receives no
more writes and its acknowledgements stop advancing, as with a replica lagging behind; cut() then closes
every connection, so that what was held is never delivered (the primary's last writes are lost, as when it
dies before they reach any replica)."""

import select
import socket
import threading

from tests.support.redis_server import free_port

POLL_SECONDS = 0.02


class ReplicationLink:
    def __init__(self, primary_port: int, port: int | None = None) -> None:
        self.primary_port = primary_port
        self.port = port or free_port()
        self._held = threading.Event()
        self._cut = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def hold(self) -> None:
        self._held.set()

    def cut(self) -> None:
        """Close the listener and every relayed connection, dropping what was held."""
        self._cut.set()
        with self._lock:
            for connection in [self._listener, *self._sockets]:
                connection.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _accept(self) -> None:
        while not self._cut.is_set():
            try:
                readable, _, _ = select.select([self._listener], [], [], POLL_SECONDS)
                if not readable:
                    continue
                replica, _ = self._listener.accept()
                primary = socket.create_connection(("127.0.0.1", self.primary_port), timeout=1)
            except OSError:
                continue  # cut meanwhile, or the primary is gone: the replica will try again
            primary.settimeout(None)
            with self._lock:
                self._sockets += [replica, primary]
            for source, sink, holdable in ((primary, replica, True), (replica, primary, False)):
                thread = threading.Thread(target=self._relay, args=(source, sink, holdable), daemon=True)
                self._threads.append(thread)
                thread.start()

    def _relay(self, source: socket.socket, sink: socket.socket, holdable: bool) -> None:
        try:
            while not self._cut.is_set():
                if holdable and self._held.is_set():
                    self._cut.wait(POLL_SECONDS)  # leave it unread: what the primary sends stays here
                    continue
                readable, _, _ = select.select([source], [], [], POLL_SECONDS)
                if not readable:
                    continue
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except (OSError, ValueError):  # closed by cut(), or by the other side
            pass
        finally:
            for connection in (source, sink):
                connection.close()
