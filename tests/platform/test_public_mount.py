"""The platform behind a proxy that strips a path prefix (jupyter-server-proxy at
``<jupyter base>proxy/<port>/``): its pages link under the prefix, its redirects and the
URLs it gives Stripe are full public URLs; reached directly, its pages link locally."""

from __future__ import annotations

from harness.platform import PlatformConfig, create_app
from harness.platform.db import Database

PREFIX = "/user/ada/proxy/4242"
PUBLIC = "https://hub.example" + PREFIX
PASSCODE = "a-passcode-for-ana"


def app_and_db() -> tuple[object, Database]:
    db = Database()
    db.seed([{"id": "ho_001", "name": "Ana", "email": "ana@example.com",
              "passcode": PASSCODE}], [])
    config = PlatformConfig(secret_key="sk_test_mount", publishable_key="pk_test_mount",
                            api_base="http://127.0.0.1:9", public_url=PUBLIC)
    return create_app(config, db), db


def test_proxied_pages_link_under_the_prefix_and_direct_ones_locally() -> None:
    app, _ = app_and_db()
    proxied = app.test_client().get("/login", headers={"X-Forwarded-Prefix": PREFIX})
    assert f'action="{PREFIX}/login"' in proxied.get_data(as_text=True)
    direct = app.test_client().get("/login")
    assert 'action="/login"' in direct.get_data(as_text=True)
    # A prefix other than the configured one is not trusted.
    other = app.test_client().get("/login", headers={"X-Forwarded-Prefix": "/evil"})
    assert 'action="/login"' in other.get_data(as_text=True)


def test_sign_in_through_the_proxy_redirects_to_the_full_public_url() -> None:
    app, _ = app_and_db()
    answer = app.test_client().post(
        "/login", data={"homeowner": "ho_001", "passcode": PASSCODE},
        headers={"X-Forwarded-Prefix": PREFIX, "Origin": "https://hub.example"})
    assert answer.status_code == 303
    assert answer.headers["Location"] == PUBLIC + "/"
    # The kernel's own browser signs in on 127.0.0.1: its origin is this request's.
    local = app.test_client().post(
        "/login", data={"homeowner": "ho_001", "passcode": PASSCODE},
        headers={"Origin": "http://localhost"})
    assert local.status_code == 303
    refused = app.test_client().post(
        "/login", data={"homeowner": "ho_001", "passcode": PASSCODE},
        headers={"Origin": "https://elsewhere.example"})
    assert refused.status_code == 403
