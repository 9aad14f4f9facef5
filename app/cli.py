"""``convscope``: start the server on a local port and open the browser."""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import json
import socket
import sys
import threading
import urllib.request
import webbrowser

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
EVERY_ADDRESS = ("0.0.0.0", "::")  # listening on every interface: a class on the same network can connect


class PortTaken(Exception):
    pass


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: any free port the system picks).

    The socket is bound here and handed to the server, so the printed address is
    the one served (no gap in which another program could take the port).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    # Lets a restarted server take its port back while the old connections linger in TIME_WAIT;
    # on Linux it never lets two servers listen on one port.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise PortTaken(str(exc)) from exc
    sock.listen(1024)  # a lecture hall's pages connect at once when the instructor says "open the link"
    return sock


def free_port(host: str = DEFAULT_HOST) -> int:
    """A port that is free now (the socket is released again): for tests that start servers."""
    with bind(host, 0) as sock:
        return sock.getsockname()[1]


def who_has(port: int) -> str:
    """ "another Convscope" when the program on ``port`` answers like one, else "another program"."""
    with contextlib.suppress(Exception):
        health = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read())
        if isinstance(health, dict) and "engine_ready" in health:
            return f"another Convscope, open at http://localhost:{port}/"
    return "another program"


def lan_addresses() -> list[str]:
    """This machine's addresses on its networks (no packet is sent to find them)."""
    found: list[str] = []
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("10.254.254.254", 1))  # a UDP "connect" only picks the outgoing interface
        found.append(probe.getsockname()[0])
    with contextlib.suppress(OSError):
        for *_, address in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.append(address[0])
    return [a for a in dict.fromkeys(found) if not a.startswith("127.")]


def names_for(host: str) -> tuple[str, ...]:
    """The names the server answers to besides localhost: the address it listens on, or the machine's."""
    if host not in EVERY_ADDRESS:
        return (host,)
    name = socket.gethostname()
    return (*lan_addresses(), name, f"{name}.local", socket.getfqdn())


def return_freed_memory() -> None:
    """Make glibc give big blocks back to the system when they are freed (a no-op elsewhere).

    By default it gives each busy worker thread its own heap, and after the first big array is
    freed it serves the next ones from a heap it keeps: a burst of large answers would leave the
    server that much bigger for good. Two heaps, and arrays over 1 MB always mapped on their own
    (unmapped when freed), keep its memory where its pages are.
    """
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-8, 2)  # M_ARENA_MAX
        libc.mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD; a fixed value also stops its growth


def freeze_when_warm(app) -> None:
    """Once the engine has warmed up, leave what the server holds by then (the engine, its compiled kernels,
    the pages' tables: hundreds of thousands of long-lived objects) out of the garbage collector's full
    passes. Each such pass walked them all and held every page for 50 to 150 ms; a class's fan-out felt it."""

    def wait() -> None:
        app.state.engine_ready.wait()
        gc.collect()  # what is garbage now is freed first, not kept for good
        gc.freeze()

    threading.Thread(target=wait, daemon=True, name="gc-freeze").start()


def server_config(app, **options):
    """The uvicorn settings the command serves with (tests that serve in-process use them too).

    No websocket compression (permessage-deflate): answers are float32 arrays, which deflate
    shrinks by under a tenth at a few MB a second of the server's one event loop, so a 256×256×3
    playground answer (1 MB) took longer to compress than to compute, and every page waited.
    """
    import uvicorn

    return uvicorn.Config(app, log_level="warning", backlog=1024, ws_per_message_deflate=False, **options)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="convscope", description="Interactive CNN visualizer for teaching.")
    parser.add_argument(
        "--host",
        default=None,
        help=f"address to listen on (default {DEFAULT_HOST}, or 0.0.0.0 with --class; "
        "0.0.0.0 lets a class on your network connect)",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port to serve on (default {DEFAULT_PORT}; 0 = any free port)"
    )
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser window")
    parser.add_argument(
        "--class",
        dest="open_class",
        action="store_true",
        help="start with a class open: serve your network and print the instructor's link and the students' address",
    )
    parser.add_argument(
        "--redis",
        metavar="URL",
        help="keep classes in Redis (redis://host:6379/0), so several server processes serve one class",
    )
    parser.add_argument(
        "--name",
        action="append",
        default=[],
        help="another name the server answers to, such as a load balancer's public name (may be repeated)",
    )
    args = parser.parse_args(argv)
    if args.host is None:
        args.host = EVERY_ADDRESS[0] if args.open_class else DEFAULT_HOST

    try:
        sock = bind(args.host, args.port)
    except PortTaken:
        print(
            f"convscope: port {args.port} on {args.host} is in use by {who_has(args.port)}.\n"
            f"Stop it, or start with --port 0 to take any free port (or --port N for another one).",
            file=sys.stderr,
        )
        raise SystemExit(2) from None
    port = sock.getsockname()[1]
    shown = "localhost" if args.host in ("127.0.0.1", "::1", *EVERY_ADDRESS) else args.host
    url = f"http://{shown}:{port}/"
    print(f"Convscope is running at {url}  (Ctrl+C to stop)", flush=True)
    hosts = (*names_for(args.host), *args.name)
    network = lan_addresses() if args.host in EVERY_ADDRESS else []
    for address in network:
        print(f"  on your network: http://{address}:{port}/", flush=True)

    from app.features.classroom import routes, serve

    join, lan = serve.join_address(args.host, port, network, args.host in EVERY_ADDRESS)
    opened = url
    if args.open_class:
        code, key, kept = serve.standing_class(port, args.redis, join)
        opened = serve.teach_link(port, code, key)
        print(
            f"Class {code} {'is still' if kept else 'is'} open. Students join at {join} with the code {code}",
            flush=True,
        )
        print(f"  your instructor's link (it drives the class; keep it off the projector): {opened}", flush=True)
    serve.setup(port, args.redis, join, lan)
    if not args.no_browser:
        threading.Timer(1.0, lambda: webbrowser.open(opened)).start()

    import uvicorn

    from app.pages import create_app

    return_freed_memory()
    app = create_app(hosts=hosts)
    routes.install(app)
    freeze_when_warm(app)
    uvicorn.Server(server_config(app)).run(sockets=[sock])


if __name__ == "__main__":
    main()
