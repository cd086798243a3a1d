"""End to end: two Django projects, each with its own settings, served from one real ``pyworker dev``
with ``[dev] process = "own"`` (and ``--own-process``): each answers from its own settings, ``os.environ``
and ``.dev.vars``, they call each other across the processes, a crashed child is reported and restarted
on the next save, Ctrl-C stops every process, and a child outlives no killed parent."""

from __future__ import annotations

import os
import re
import select
import signal
import site
import sys
import venv
from pathlib import Path

import httpx
import pytest

from tests.test_e2e import DEADLINE, DevProcess, dev  # noqa: F401  # `dev` is a fixture

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs os.pidfd_open")]
django = pytest.importorskip("django")

PROJECT = """
import os
import sys

from workers import Response, WorkerEntrypoint, wsgi

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{name}_site.settings")

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse
from django.urls import path


def home(request):
    env = request.environ["workers.env"]
    return HttpResponse(
        f"{{settings.GREETING}}|{{os.environ['DJANGO_SETTINGS_MODULE']}}|{{env.SECRET}}|{{os.getpid()}}|{{sys.prefix}}"
    )


def crash(request):
    os._exit(1)


urlpatterns = [path("", home), path("crash", crash)]
application = get_wsgi_application()


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.url.endswith("/peer"):
            return Response(await self.env.PEER.greeting())
        return await wsgi.fetch(application, request, self.env)

    async def greeting(self):
        return f"{{settings.GREETING}} (pid {{os.getpid()}})"
"""


def project(root: Path, name: str, peer: str, dev_table: str = "") -> Path:
    """A Django project worker ``name`` whose settings say ``GREETING = "hello from <name>"``."""
    directory = root / name
    files = {
        "src/entry.py": PROJECT.format(name=name),
        f"src/{name}_site/__init__.py": "",
        f"src/{name}_site/settings.py": (
            f"SECRET_KEY = 'x'\nALLOWED_HOSTS = ['*']\nROOT_URLCONF = 'entry'\nGREETING = 'hello from {name}'\n"
        ),
        ".dev.vars": f"SECRET={name}-secret\n",
        "wrangler.toml": (
            f'name = "{name}"\nmain = "src/entry.py"\nservices = [{{ binding = "PEER", service = "{peer}" }}]\n'
            + dev_table
        ),
    }
    for relative, text in files.items():
        (directory / relative).parent.mkdir(parents=True, exist_ok=True)
        (directory / relative).write_text(text)
    return directory


def virtual_environment(path: Path) -> Path:
    """A virtual environment that sees this one's packages (pyworker, Django): its own ``sys.prefix``."""
    venv.EnvBuilder(symlinks=True, with_pip=False).create(path)
    packages = next(path.glob("lib/python*/site-packages"))
    (packages / "outer.pth").write_text(f"import site; site.addsitedir({site.getsitepackages()[0]!r})\n")
    return path / "bin" / "python"


def urls(process: DevProcess) -> dict[str, str]:
    found = {}
    for line in process.lines:
        if match := re.match(r"^(shop|blog)\s+(http://127\.0\.0\.1:\d+)", line):
            found[match.group(1)] = match.group(2)
    return found


def pid_of(process: DevProcess, worker: str, not_pid: str = "0") -> int:
    return int(process.wait_for(rf"^\[{worker}\] +running in its own process, pid (?!{not_pid}\b)(\d+)$").group(1))


def wait_exit(pid: int) -> None:
    """Wait (on the kernel, not a clock) until process ``pid`` has ended."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        readable, _, _ = select.select([fd], [], [], DEADLINE)
        assert readable, f"process {pid} is still running"
    finally:
        os.close(fd)


def test_two_django_projects_each_with_its_settings_from_one_pyworker_dev(dev, tmp_path):  # noqa: F811
    shop = project(tmp_path, "shop", "blog")
    blog = project(tmp_path, "blog", "shop", '[dev]\nprocess = "own"\npython = ".venv-blog/bin/python"\n')
    virtual_environment(blog / ".venv-blog")
    process = dev(str(shop), str(blog), "--port", "0")
    blog_pid = pid_of(process, "blog")
    process.wait_for(r"^Ready on ")
    assert not [line for line in process.lines if "Django" in line]  # no warning: they no longer share one
    table = rf"^blog\s+http://\S+ \(own process, (pid {blog_pid}|starting)\)"  # starting: on a slow machine
    [started] = [match.group(1) for line in process.lines if (match := re.match(table, line))]
    if started != "starting":  # the table read its registry entry: the binding to it is connected
        assert any(re.search(rf"PEER -> blog \(connected, pid {blog_pid}\)$", line) for line in process.lines)
    # The child's bindings as the child sees them: shop runs in another process, the parent.
    assert any(
        re.search(rf"^blog .* PEER -> shop \(connected, pid {process.proc.pid}\)$", line) for line in process.lines
    )
    shop_url, blog_url = urls(process)["shop"], urls(process)["blog"]
    shop_says = httpx.get(shop_url).text.split("|")
    blog_says = httpx.get(blog_url).text.split("|")
    assert shop_says[:3] == ["hello from shop", "shop_site.settings", "shop-secret"]
    assert blog_says == [
        "hello from blog",
        "blog_site.settings",
        "blog-secret",
        str(blog_pid),
        str(blog / ".venv-blog"),
    ]
    assert int(shop_says[3]) == process.proc.pid and shop_says[4] == sys.prefix
    # Bindings cross the processes both ways, each side answering from its own settings.
    assert httpx.get(f"{shop_url}/peer").text == f"hello from blog (pid {blog_pid})"
    assert httpx.get(f"{blog_url}/peer").text == f"hello from shop (pid {process.proc.pid})"
    process.wait_for(r"^\[blog\] +GET /peer 200 OK \(\d+ms\)$")  # its request lines, under its name

    # Hot reload in the child, by its own watcher: its new settings serve, in the same process.
    settings = blog / "src/blog_site/settings.py"
    settings.write_text(settings.read_text().replace("'hello from blog'", "'bonjour from blog'"))
    process.wait_for(r"^\[blog\] +reloaded in \d+ms ")
    assert httpx.get(blog_url).text.split("|")[:4] == [
        "bonjour from blog",
        "blog_site.settings",
        "blog-secret",
        str(blog_pid),
    ]

    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{blog_url}/crash")
    process.wait_for(r"^\[blog\] +process exited with code 1; it restarts on the next save$")
    down = httpx.get(blog_url)
    assert (down.status_code, down.text) == (
        503,
        'Worker "blog" is not running: its process exited with code 1. It restarts on the next save of its files.',
    )
    process.wait_for(r"^\[blog\] +GET / 503 Service Unavailable \(\d+ms\)$")
    process.wait_for(r"^\[shop\] +PEER -> blog disconnected")  # its registry entry went with it
    assert httpx.get(f"{shop_url}/peer").status_code == 500
    process.wait_for(r'Worker "blog" is not running: start it in this pyworker dev, or in another')
    (blog / "src/entry.py").write_text(PROJECT.format(name="blog") + "# saved\n")
    process.wait_for(r"^\[blog\] +restarting its process$")
    restarted = pid_of(process, "blog", str(blog_pid))
    assert httpx.get(blog_url).text.split("|")[3] == str(restarted)

    assert process.interrupt() == 0
    assert [line for line in process.lines if line == "Shutting down..."] == ["Shutting down..."]
    wait_exit(restarted)
    assert not any("Fatal Python error" in line or re.match(r"^(\[blog\] +)?Traceback", line) for line in process.lines)


def test_own_process_on_the_command_line_and_no_child_outlives_a_killed_parent(dev, tmp_path):  # noqa: F811
    shop = project(tmp_path, "shop", "blog")
    blog = project(tmp_path, "blog", "shop")
    process = dev(str(shop), str(blog), "--port", "0", "--own-process", "shop", "--own-process", "blog")
    pids = {pid_of(process, "shop"), pid_of(process, "blog")}
    process.wait_for(r"^Ready on ")
    assert len(pids) == 2 and process.proc.pid not in pids
    for name, url in urls(process).items():
        assert httpx.get(url).text.startswith(f"hello from {name}|")
    process.proc.send_signal(signal.SIGKILL)
    for pid in pids:
        wait_exit(pid)  # each child saw its stdin end, and stopped


def test_on_a_terminal_l_lists_the_child_and_ctrl_c_stops_it(tmp_path):
    from tests.pty_session import PtyDev

    shop = project(tmp_path, "shop", "blog")
    blog = project(tmp_path, "blog", "shop", '[dev]\nprocess = "own"\n')
    session = PtyDev(str(shop), str(blog), "--port", "0")
    try:
        pid = int(session.wait_for(r"^\[blog\] +running in its own process, pid (\d+)").group(1))
        session.wait_for(r"\[x\] to exit")
        mark = session.press("l")
        listed = rf"^blog\s+http://127\.0\.0\.1:\d+\s+own process, pid {pid}\s+PEER -> shop \(connected, pid \d+\)$"
        session.wait_for(listed, mark)
        mark = session.press("r")
        session.wait_for(r"^\[blog\] +reloaded in \d+ms", mark)  # the r key reloads the child too
        session.press("\x03")
        assert session.wait_exit() == 0
        wait_exit(pid)
    finally:
        session.close()
