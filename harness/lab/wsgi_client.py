"""The SDK talking to an emulator in the same process, with no socket: its requests are
handed to the WSGI app through werkzeug's test client, so the whole HTTP layer (routing,
auth, form decoding, errors, headers) still runs. For probes and fast tests."""

from __future__ import annotations

import io
import urllib.parse
from typing import Any

import stripe
import werkzeug.test

__all__ = ["WsgiTransport"]


class WsgiTransport(stripe.HTTPClient):
    """A ``stripe.HTTPClient`` whose every request goes to ``app`` in process."""

    name = "wsgi"

    def __init__(self, app: Any) -> None:
        super().__init__()
        self.client = werkzeug.test.Client(app)

    def request(self, method, url, headers, post_data=None):  # type: ignore[override]
        parts = urllib.parse.urlsplit(url)
        resp = self.client.open(parts.path, query_string=parts.query, method=method.upper(),
                                headers=dict(headers or {}), data=post_data)
        return resp.get_data(as_text=True), resp.status_code, dict(resp.headers)

    def request_stream(self, method, url, headers, post_data=None):  # type: ignore[override]
        content, status, resp_headers = self.request(method, url, headers, post_data)
        return io.BytesIO(content.encode()), status, resp_headers

    def close(self) -> None:
        pass
