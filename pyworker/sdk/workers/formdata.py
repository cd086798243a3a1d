"""``workers.formdata``: ``FormData``."""

from __future__ import annotations

from pyworker.runtime.formdata import FormData

FormDataValue = "str | Blob"

__all__ = ["FormData", "FormDataValue"]
