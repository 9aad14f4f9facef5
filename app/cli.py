"""``convscope``: start the server on a free local port and open the browser."""

from __future__ import annotations

import argparse
import socket
import threading
import webbrowser

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def bind(host: str, start: int, tries: int = 50) -> socket.socket:
    """A listening socket on ``start``, or the next free port above it.

    The socket is bound here and handed to the server, so the printed address
    is the one served (no gap in which another program could take the port).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for port in range(start, start + tries):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            sock.close()
            continue
        sock.listen(128)
        return sock
    raise SystemExit(f"no free port from {start} to {start + tries - 1} on {host}; choose one with --port")


def free_port(host: str, start: int, tries: int = 50) -> int:
    """The first free port from ``start`` (the socket is released again)."""
    with bind(host, start, tries) as sock:
        return sock.getsockname()[1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="convscope", description="Interactive CNN visualizer for teaching.")
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to try first (default {DEFAULT_PORT})")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser window")
    args = parser.parse_args(argv)

    import uvicorn

    from app.pages import create_app

    sock = bind(args.host, args.port)
    port = sock.getsockname()[1]
    shown = "localhost" if args.host in ("127.0.0.1", "0.0.0.0", "::1", "::") else args.host
    url = f"http://{shown}:{port}/"
    print(f"Convscope is running at {url}  (Ctrl+C to stop)", flush=True)
    if not args.no_browser:
        threading.Timer(1.0, lambda: webbrowser.open(url)).start()
    # A specific address the user chose is a name the server answers to; 0.0.0.0 names no host of its own.
    hosts = () if args.host in ("0.0.0.0", "::") else (args.host,)
    server = uvicorn.Server(uvicorn.Config(create_app(hosts=hosts), log_level="warning"))
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
