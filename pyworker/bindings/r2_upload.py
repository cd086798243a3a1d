"""``R2MultipartUpload``: what ``createMultipartUpload`` / ``resumeMultipartUpload`` return."""

from __future__ import annotations

from typing import Any

from pyworker.bindings.jsapi import ReadableStream, as_bytes, call_args, js_string
from pyworker.bindings.promises import promise
from pyworker.bindings.r2_objects import R2Object, r2_error
from pyworker.bindings.results import JsResult
from pyworker.errors import StateWriteError
from pyworker.runtime.jsvalues import JsDict, JsException
from pyworker.storage import r2_multipart
from pyworker.storage.r2 import R2Store, UploadError

_MESSAGES = {
    r2_multipart.NO_SUCH_UPLOAD: "The specified multipart upload does not exist.",
    r2_multipart.INVALID_PART: "One or more of the specified parts could not be found.",
    r2_multipart.TOO_SMALL: "Your proposed upload is smaller than the minimum allowed object size.",
    r2_multipart.BAD_UPLOAD: "There was a problem with the multipart upload.",
}


def _failed(action: str, exc: UploadError) -> JsException:
    return r2_error(action, _MESSAGES[exc.code], exc.code)


class R2MultipartUpload(JsResult):
    """An upload in progress: ``uploadPart``, then ``complete`` (or ``abort``)."""

    JS_NAME = "R2MultipartUpload"
    __slots__ = ("_store", "key", "uploadId")

    def __init__(self, store: R2Store, key: str, upload_id: str) -> None:
        self._store = store
        self.key = key
        self.uploadId = upload_id

    @promise
    def uploadPart(self, *args: Any, **kwargs: Any) -> Any:
        """``uploadPart(partNumber, value)`` → ``{partNumber, etag}``."""
        values = call_args(args, kwargs)
        return self._upload_part(values[0] if values else None, values[1] if len(values) > 1 else None)

    async def _upload_part(self, number: Any, value: Any) -> JsDict:
        if not isinstance(number, int) or not 1 <= number <= 10000:
            raise JsException(
                "TypeError",
                f"Part number must be between 1 and 10000 (inclusive). Actual value was: {js_string(number)}",
            )
        data = value.encode() if isinstance(value, str) else as_bytes(value)
        if data is None and isinstance(value, ReadableStream):
            data = await value.read_all()
        if data is None:
            raise JsException("TypeError", "uploadPart() takes a str, bytes or ReadableStream value.")
        try:
            etag = await r2_multipart.upload_part(self._store, self.uploadId, self.key, number, data)
        except UploadError as exc:
            raise _failed("uploadPart", exc) from None
        except StateWriteError as exc:
            raise r2_error("uploadPart", str(exc), 10001) from None
        return JsDict(partNumber=number, etag=etag)

    @promise
    def complete(self, *args: Any, **kwargs: Any) -> Any:
        """``complete([{partNumber, etag}, ...])`` → the ``R2Object``."""
        values = call_args(args, kwargs)
        return self._complete(values[0] if values else None)

    async def _complete(self, parts: Any) -> R2Object:
        if not isinstance(parts, list) or not all(isinstance(part, dict) for part in parts):
            raise JsException("TypeError", "complete() takes a list of {partNumber, etag} dicts (from uploadPart()).")
        chosen = [(part.get("partNumber"), js_string(part.get("etag"))) for part in parts]
        try:
            stored = await r2_multipart.complete(self._store, self.uploadId, self.key, chosen)
        except UploadError as exc:
            raise _failed("completeMultipartUpload", exc) from None
        except StateWriteError as exc:
            raise r2_error("completeMultipartUpload", str(exc), 10001) from None
        return R2Object(stored)

    @promise
    async def abort(self) -> None:
        await r2_multipart.abort(self._store, self.uploadId, self.key)
