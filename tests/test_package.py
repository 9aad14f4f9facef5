"""The package installs whole: a wheel carries the templates, static files and lessons, and runs from anywhere."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest

from app.features import TABLE

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("templates", "static", "lessons")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # No build isolation: the build uses the setuptools of this environment, so no network is needed.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (found,) = out.glob("convscope-*.whl")
    return found


def shipped_files(folder: str) -> list[str]:
    return sorted(
        str(p.relative_to(ROOT / folder))
        for p in (ROOT / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )


def test_the_wheel_carries_every_template_static_file_and_lesson(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in FOLDERS:
        files = shipped_files(folder)
        assert files, folder
        missing = [f for f in files if f"app/files/{folder}/{f}" not in names]
        assert not missing, f"{folder}: {missing[:5]}"
    assert "app/pages.py" in names and "engine/conv.py" in names and "app/features/training/desk.py" in names


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read()


def test_an_installed_app_started_elsewhere_serves_every_page_and_file(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    # The virtual environment sees this one's packages (numpy, numba, ...) but installs convscope itself from the wheel.
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel)],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run(
        [str(python), "-c", "import app; print(app.__file__)"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where.startswith(str(env_dir)), where  # the installed copy, not this checkout
    server = subprocess.Popen(
        [str(env_dir / "bin" / "convscope"), "--no-browser", "--port", "8960"],
        cwd=elsewhere,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=os.environ.copy(),
    )
    try:
        line = server.stdout.readline()
        url = re.search(r"http://\S+/", line).group(0)
        for _ in range(100):
            try:
                get(url + "healthz")
                break
            except OSError:
                time.sleep(0.1)
        status, html = get(url + "lessons")
        slugs = sorted(set(re.findall(r'href="/lessons/([a-z0-9-]+)"', html.decode())))
        assert len(slugs) == len(list((ROOT / "lessons").glob("[0-9][0-9]-*.md")))
        pages = ["", "playground", "layers", "xo", "lessons"] + [f"lessons/{s}" for s in slugs]
        pages += [f"widget/{name}" for name in TABLE.widgets]
        pages += [f"static/{f}" for f in shipped_files("static")]
        for page in pages:
            status, body = get(url + page)
            assert status == 200 and body, page
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_ci_runs_exactly_the_readmes_test_command():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)\n```", readme, re.S)
    test_commands = [b for b in blocks if "pytest" in b]
    assert len(test_commands) == 1, test_commands  # one command a newcomer runs for the whole suite
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert ci[-1] == test_commands[0]
