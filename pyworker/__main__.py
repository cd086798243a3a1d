from __future__ import annotations

from pyworker.cli import main

main()
