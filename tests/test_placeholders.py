"""Bindings pyworker knows but does not emulate are on env; every use says so (bindings/placeholders.py)."""

from __future__ import annotations

import pytest

from pyworker.bindings.placeholders import KINDS
from pyworker.config.resolve import PLACEHOLDER_BINDINGS
from pyworker.errors import BindingNotEmulated

pytestmark = pytest.mark.anyio

CODE = """
from workers import WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def use(self, name):
        try:
            await getattr(self.env, name).run("@cf/meta/llama", {"prompt": "hi"})
        except Exception as exc:
            return [type(exc).__name__, str(exc)]

    def present(self, name):
        return hasattr(self.env, name)
"""

CONFIG = """
name = "w"
main = "src/entry.py"
ai = { binding = "AI" }
browser = { binding = "BROWSER" }
ratelimits = [{ name = "LIMITER", namespace_id = "1001", simple = { limit = 10, period = 60 } }]
"""


async def test_each_use_raises_one_line_naming_the_binding_kind_and_the_truth(write_worker, make_server):
    server = make_server(write_worker("w", {"src/entry.py": CODE}, CONFIG))
    worker = server.worker("w")
    assert await worker.call(None, "use", ("AI",), {}) == [
        "BindingNotEmulated",
        'env.AI of worker "w" is a Workers AI binding ("ai" in wrangler.toml), which pyworker does not emulate; '
        "it is remote-only on Cloudflare too: wrangler dev has no local simulation of it either and reaches the real "
        "one in your account only with remote = true on the binding. To develop here without it, give your code a "
        "stand-in object with the methods it calls on env.AI.",
    ]
    browser = await worker.call(None, "use", ("BROWSER",), {})
    assert "wrangler dev simulates it locally, so run this worker under wrangler dev to use it" in browser[1]
    assert await worker.call(None, "present", ("LIMITER",), {}) is True
    with pytest.raises(BindingNotEmulated):
        worker.env.LIMITER.limit({"key": "k"})


def test_the_config_and_the_provider_name_the_same_kinds():
    assert set(KINDS) == PLACEHOLDER_BINDINGS


def test_the_start_up_table_lists_each_placeholder(write_worker):
    from pyworker.bindings import placeholders
    from pyworker.config import load_config

    config = load_config(write_worker("w", {"src/entry.py": CODE}, CONFIG))
    assert placeholders.describe(config, None) == [  # type: ignore[arg-type]
        "AI -> Workers AI (not emulated; remote-only)",
        "BROWSER -> Browser Rendering (not emulated)",
        "LIMITER -> Rate Limiting (not emulated)",
    ]
