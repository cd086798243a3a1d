"""Django by string imports: Cloudflare's example 18 served next to a worker with its own ``hello_django``,
and a Django view waiting on a binding call with ``run_sync`` (as django-cf's D1 backend does)."""

from __future__ import annotations

import io

import pytest

from pyworker import testing
from tests.conftest import FIXTURES

pytestmark = pytest.mark.anyio

django = pytest.importorskip("django")


@pytest.fixture(autouse=True)
def fresh_django():
    """Django's settings and URL resolver are process singletons: each test configures its own."""
    from django.conf import settings
    from django.urls import clear_url_caches
    from django.utils.functional import empty

    settings._wrapped = empty
    clear_url_caches()
    yield
    settings._wrapped = empty
    clear_url_caches()


NEIGHBOUR = "Hello from the neighbour's own hello_django (neighbour/src/hello_django/urls.py)"


async def test_example_18_and_a_neighbour_each_answer_from_their_own_hello_django():
    paths = [FIXTURES / "django18" / "neighbour", FIXTURES / "django18" / "hello-django"]
    async with testing.dev(paths, output=io.StringIO()) as dev:
        # The neighbour imports hello_django.settings by string before Django does, and after.
        assert (await dev.fetch("neighbour")).text == NEIGHBOUR
        reply = await dev.fetch("hello-django")
        assert (reply.status_code, reply.json()) == (200, {"message": "Hello from Django in a Python Worker"})
        assert (await dev.fetch("neighbour")).text == NEIGHBOUR
        assert (await dev.fetch("hello-django", "/missing")).status_code == 404


DJANGO_VIEW = """
import os

from workers import WorkerEntrypoint, wsgi

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")

from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse
from django.urls import path
from pyodide.ffi import run_sync


def total(request):
    env = request.environ["workers.env"]
    # Synchronous Django code waiting on a binding call, as django-cf's D1 backend does with stmt.all().
    return HttpResponse(str(run_sync(env.PRICES.add(40, 2))))


urlpatterns = [path("total", total)]
application = get_wsgi_application()


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await wsgi.fetch(application, request, self.env)
"""


async def test_a_django_view_waits_on_a_binding_call_with_run_sync(write_worker):
    shop = write_worker(
        "shop",
        {
            "src/entry.py": DJANGO_VIEW,
            "src/shop/__init__.py": "",
            "src/shop/settings.py": "SECRET_KEY = 'x'\nALLOWED_HOSTS = ['*']\nROOT_URLCONF = 'entry'\nUSE_TZ = True\n",
        },
        config='name = "shop"\nmain = "src/entry.py"\nservices = [{ binding = "PRICES", service = "prices" }]\n',
    )
    prices = write_worker(
        "prices",
        {"src/entry.py": "from workers import WorkerEntrypoint\n\nclass Default(WorkerEntrypoint):\n"
         "    async def add(self, a, b):\n        return a + b\n"},
    )  # fmt: skip
    async with testing.dev([shop, prices], output=io.StringIO()) as dev:
        reply = await dev.fetch("shop", "/total")
    assert (reply.status_code, reply.text) == (200, "42")


async def test_a_reloaded_django_worker_serves_its_new_views_and_settings(write_worker, output):
    from pyworker.printer import Printer
    from pyworker.reload.reloader import Reloader

    view = DJANGO_VIEW.replace("str(run_sync(env.PRICES.add(40, 2)))", "settings.GREETING + ' v1'")
    files = {
        "src/entry.py": view.replace("from pyodide.ffi import run_sync", "from django.conf import settings"),
        "src/shop/__init__.py": "",
        "src/shop/settings.py": "SECRET_KEY = 'x'\nALLOWED_HOSTS = ['*']\nROOT_URLCONF = 'entry'\nGREETING = 'hello'\n",
    }
    shop = write_worker("shop", files)
    async with testing.dev([shop], output=output) as dev:
        assert (await dev.fetch("shop", "/total")).text == "hello v1"
        (shop / "src/entry.py").write_text(files["src/entry.py"].replace(" v1'", " v2'"))
        (shop / "src/shop/settings.py").write_text(files["src/shop/settings.py"].replace("'hello'", "'bonjour'"))
        reloader = Reloader(dev.server.registry, Printer(output, colour=False))
        await reloader.reload(dev.worker("shop"), {shop / "src/entry.py"})
        assert (await dev.fetch("shop", "/total")).text == "bonjour v2"
