"""``wrangler dev`` workers and pyworker workers bind each other through workerd's debug port.

wrangler 4.86 reaches a worker of another process only through the ``debugPortAddress`` of its
registry entry: a Cap'n Proto RPC server whose bootstrap is workerd's ``WorkerdDebugPort``
(``getEntrypoint`` -> ``startEvent`` -> ``getHttpService`` -> HTTP over Cap'n Proto). pyworker
speaks that protocol with pycapnp (the ``wrangler`` extra), imported only when a wrangler worker
is reached or reaches us: :mod:`.server` answers JavaScript workers' ``env.PY.fetch()``,
:mod:`.client` is the :class:`~pyworker.types.Target` for a Python worker's ``env.JS.fetch()``.
RPC is refused both ways (:mod:`.messages` says why).
"""
