"""``harness.lab.public``: which address the learner's browser uses for a local port."""

from __future__ import annotations

import pytest

from harness.lab.public import PublicBase, detect


def test_local_by_default() -> None:
    base = detect({})
    assert base.is_local and base.url(4242) == "http://127.0.0.1:4242"
    assert base.local_url("http://127.0.0.1:4242/x") is None


def test_forced_jupyter_base_goes_through_its_proxy() -> None:
    base = detect({"CONNECT_LAB_PUBLIC_URL": "https://hub.example/user/ada/"})
    assert base.url(12111) == "https://hub.example/user/ada/proxy/12111"
    assert base.local_url("https://hub.example/user/ada/proxy/12111/c/pay/cs_1?x=1") == (
        "http://127.0.0.1:12111/c/pay/cs_1?x=1", "/user/ada/proxy/12111")
    assert base.local_url("https://hub.example/user/ada/proxy/12111") == (
        "http://127.0.0.1:12111/", "/user/ada/proxy/12111")
    assert base.local_url("https://hub.example/user/ada/proxy/121110x") is None
    assert base.local_url("https://hub.example/user/bob/proxy/12111/") is None


def test_forced_template_and_forced_local() -> None:
    base = detect({"CONNECT_LAB_PUBLIC_URL": "https://lab.example/p/{port}/"})
    assert base.url(4242) == "https://lab.example/p/4242"
    assert detect({"CONNECT_LAB_PUBLIC_URL": "local",
                   "JUPYTERHUB_SERVICE_PREFIX": "/user/ada/"}).is_local
    with pytest.raises(ValueError, match="CONNECT_LAB_PUBLIC_URL"):
        detect({"CONNECT_LAB_PUBLIC_URL": "hub.example/user/ada/"})


def test_jupyterhub_public_url_then_host() -> None:
    hub = {"JUPYTERHUB_SERVICE_PREFIX": "/user/ada/",
           "JUPYTERHUB_PUBLIC_URL": "https://hub.example/user/ada/"}
    assert detect(hub).url(4242) == "https://hub.example/user/ada/proxy/4242"
    subdomains = {"JUPYTERHUB_SERVICE_PREFIX": "/user/ada/", "JUPYTERHUB_PUBLIC_URL": "",
                  "JUPYTERHUB_HOST": "https://ada.hub.example"}
    assert detect(subdomains).url(4242) == "https://ada.hub.example/user/ada/proxy/4242"


def test_a_hub_without_its_address_says_what_to_set() -> None:
    with pytest.warns(UserWarning, match="CONNECT_LAB_PUBLIC_URL"):
        base = detect({"JUPYTERHUB_SERVICE_PREFIX": "/user/ada/", "JUPYTERHUB_HOST": ""})
    assert base.is_local


def test_codespaces_forwards_each_port() -> None:
    base = detect({"CODESPACES": "true", "CODESPACE_NAME": "ada-lab-x1",
                   "GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN": "app.github.dev"})
    assert base.url(4242) == "https://ada-lab-x1-4242.app.github.dev"
    assert base.local_url("https://ada-lab-x1-4242.app.github.dev/book/lst_1") == (
        "http://127.0.0.1:4242/book/lst_1", "")


def test_repr_says_where_it_came_from() -> None:
    assert "CONNECT_LAB_PUBLIC_URL" in repr(
        detect({"CONNECT_LAB_PUBLIC_URL": "https://hub.example/user/ada/"}))
    assert repr(PublicBase()) == "PublicBase('local', from local)"


def test_start_wires_the_public_base_into_the_emulator_and_the_platform() -> None:
    import harness
    from harness.lab.platform_server import running_at, start_platform

    lab = harness.start(env={"CONNECT_LAB_PUBLIC_URL": "https://hub.example/user/ada/"})
    try:
        port = lab.server.port
        assert lab.api_base == f"http://127.0.0.1:{port}"  # the SDK stays local
        assert lab.public_api_base == f"https://hub.example/user/ada/proxy/{port}"
        assert lab.emulator.settings.public_url == lab.public_api_base
        platform = start_platform(lab)
        try:
            assert platform.url.startswith("http://127.0.0.1:")
            assert platform.public_url == (
                f"https://hub.example/user/ada/proxy/{platform.server.port}")
            assert platform.config.stripe_js_url == lab.public_api_base + "/v3/"
            assert platform.config.connect_base == lab.api_base  # the token exchange
            assert platform.config.authorize_base == lab.public_api_base  # the OAuth page
            assert platform.public_url_for("/book/x") == platform.public_url + "/book/x"
            assert running_at(platform.public_url_for("/book/x")) is platform
            assert "for your browser https://hub.example/" in repr(platform)
        finally:
            platform.stop()
    finally:
        lab.stop()
