"""``convscope``: start the server on a free local port and open the browser."""

from __future__ import annotations

import argparse
import socket
import threading
import webbrowser

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def free_port(host: str, start: int, tries: int = 50) -> int:
    """``start`` if it is free, else the next free port above it."""
    for port in range(start, start + tries):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    raise SystemExit(f"no free port from {start} to {start + tries - 1} on {host}; choose one with --port")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="convscope", description="Interactive CNN visualizer for teaching.")
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to try first (default {DEFAULT_PORT})")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser window")
    args = parser.parse_args(argv)

    import uvicorn

    from app.main import create_app

    port = free_port(args.host, args.port)
    shown = "localhost" if args.host in ("127.0.0.1", "0.0.0.0") else args.host
    url = f"http://{shown}:{port}/"
    print(f"Convscope is running at {url}  (Ctrl+C to stop)", flush=True)
    if not args.no_browser:
        threading.Timer(1.0, lambda: webbrowser.open(url)).start()
    uvicorn.run(create_app(), host=args.host, port=port, log_level="warning")


if __name__ == "__main__":
    main()
