"""The Stripe.js stand-in's files, CORS, and the publishable-key calls the stand-in makes.

The browser tests (tests/browser) drive the whole thing in Chromium; these check the HTTP
contract underneath without a browser.
"""

from __future__ import annotations

import urllib.error
import urllib.request

from ..support import publishable, raw


def fetch(server, method: str, path: str, headers: dict[str, str] | None = None):
    request = urllib.request.Request(server.url + path, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, resp.headers, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode()


def test_stripe_js_is_served_at_v3(emulator_server):
    for path in ("/v3/", "/v3"):
        status, headers, body = fetch(emulator_server, "GET", path)
        assert status == 200
        assert headers["Content-Type"] == "application/javascript; charset=utf-8"
        assert "window.Stripe = Stripe" in body and "confirmCardPayment" in body


def test_element_frame_and_challenge_pages_are_served(emulator_server):
    status, headers, body = fetch(emulator_server, "GET", "/v3/elements-inner.html")
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    # relative, so it resolves to /v3/elements-inner.js under any path prefix (a proxy's)
    assert '<script src="elements-inner.js"></script>' in body
    status, headers, body = fetch(emulator_server, "GET", "/v3/elements-inner.js")
    assert (status, headers["Content-Type"]) == (200, "application/javascript; charset=utf-8")
    assert "/v1/payment_methods" in body
    status, headers, body = fetch(emulator_server, "GET", "/_emulator/3ds/pi_anything")
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert "Complete authentication" in body and "Fail authentication" in body


def test_cors_preflight_is_answered(emulator_server):
    status, headers, body = fetch(emulator_server, "OPTIONS", "/v1/payment_intents/pi_1/confirm",
                                  {"Origin": "http://127.0.0.1:4242",
                                   "Access-Control-Request-Method": "POST",
                                   "Access-Control-Request-Headers":
                                       "authorization,content-type,stripe-account"})
    assert (status, body) == (200, "")
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert headers["Access-Control-Allow-Headers"] == "authorization,content-type,stripe-account"
    assert headers["Access-Control-Max-Age"] == "300"
    assert headers["Request-Id"].startswith("req_")


def test_cors_is_open_only_on_the_routes_stripe_js_calls(emulator_server, client, api_key):
    """A page on another origin may read what Stripe.js reads with a publishable key (its
    errors too), and nothing else: no secret-key route, no emulator control."""
    pi = client.v1.payment_intents.create({"amount": 500, "currency": "usd"})
    pk = publishable(emulator_server, api_key)
    ok = raw(emulator_server, "GET", f"/v1/payment_intents/{pi.id}", key=pk,
             params={"client_secret": pi.client_secret})
    unauthenticated = raw(emulator_server, "GET", f"/v1/payment_intents/{pi.id}")
    for resp in (ok, unauthenticated):
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
        assert resp.headers["Access-Control-Expose-Headers"].startswith("Request-Id, ")
    assert (ok.status, unauthenticated.status) == (200, 401)

    closed = [raw(emulator_server, "GET", "/v1/customers", key=api_key),
              raw(emulator_server, "GET", "/v1/customers"),
              raw(emulator_server, "GET", "/_emulator/clock", key=api_key),
              raw(emulator_server, "POST", "/_emulator/reset")]
    assert [r.status for r in closed] == [200, 401, 200, 401]
    assert all("Access-Control-Allow-Origin" not in r.headers for r in closed)
    for path, method in (("/_emulator/reset", "POST"), ("/v1/customers", "GET"),
                         ("/_emulator/3ds/pi_1", "POST"),
                         ("/v1/refunds", "POST"), ("/v1/nowhere", "GET")):
        status, headers, _ = fetch(emulator_server, "OPTIONS", path, {
            "Origin": "http://evil.example", "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization"})
        assert status in (403, 404) and "Access-Control-Allow-Origin" not in headers, path


def test_what_the_stand_in_does_with_a_publishable_key(emulator_server, client, api_key):
    """PaymentMethod from raw card data, then confirm, then the 3DS control: all with the
    publishable key and the client secret."""
    pk = publishable(emulator_server, api_key)
    pi = client.v1.payment_intents.create({"amount": 8900, "currency": "usd"})
    pm = raw(emulator_server, "POST", "/v1/payment_methods", key=pk, params={
        "type": "card", "card[number]": "4000002500003155", "card[exp_month]": "12",
        "card[exp_year]": "2034", "card[cvc]": "123",
        "billing_details[address][postal_code]": "42424"})
    assert pm.status == 200 and "number" not in pm.body["card"]

    confirmed = raw(emulator_server, "POST", f"/v1/payment_intents/{pi.id}/confirm", key=pk,
                    params={"payment_method": pm.body["id"], "client_secret": pi.client_secret,
                            "use_stripe_sdk": "true"})
    assert confirmed.body["status"] == "requires_action"
    assert confirmed.body["next_action"]["use_stripe_sdk"]["stripe_js"] == \
        f"{emulator_server.url}/_emulator/3ds/{pi.id}"  # absolute, as Stripe's are
    assert fetch(emulator_server, "GET", f"/_emulator/3ds/{pi.id}")[0] == 200

    wrong = raw(emulator_server, "POST", f"/_emulator/3ds/{pi.id}", key=pk,
                params={"client_secret": pi.id + "_secret_wrong", "outcome": "complete"})
    assert wrong.status == 400
    done = raw(emulator_server, "POST", f"/_emulator/3ds/{pi.id}", key=pk,
               params={"client_secret": pi.client_secret, "outcome": "complete"})
    assert (done.status, done.body["status"]) == (200, "succeeded")
    assert client.v1.payment_intents.retrieve(pi.id).amount_received == 8900
