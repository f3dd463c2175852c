"""The console's server side without a browser: its headers, its page, its sign-in checks,
and the small API endpoints it reads typed positions and times with."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from deconflict.console.routes import STATIC, content_security_policy
from deconflict.rules.plan import parse_time
from deconflict.server import create_app
from deconflict.settings import Settings
from tests.api.conftest import LiveServer


def test_the_page_forbids_framing_sniffing_and_scripts_from_elsewhere(line: LiveServer) -> None:
    page = httpx.get(f"{line.url}/")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    for directive in ("frame-ancestors 'none'", "script-src 'self'", "object-src 'none'"):
        assert directive in policy
    assert "unsafe-inline" not in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    script = httpx.get(f"{line.url}/console/static/js/main.js")
    assert script.headers["x-content-type-options"] == "nosniff"
    assert script.headers["content-type"].startswith("text/javascript")


def test_the_page_has_no_inline_script_style_or_handler() -> None:
    html = (STATIC / "index.html").read_text()
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert "<style" not in html
    assert re.findall(r"\son[a-z]+=", html) == []
    assert re.findall(r"\sstyle=", html) == []


def test_every_vendored_asset_keeps_its_licence() -> None:
    vendor = STATIC / "vendor"
    readme = (vendor / "README.md").read_text()
    for package in (
        "leaflet", "topojson-client", "world-atlas",
        "protomaps-leaflet", "mgrs", "geographiclib-geodesic",
    ):  # fmt: skip
        assert (vendor / package / "LICENSE").read_text().strip()
        assert f"`{package}/`" in readme
    assert "Natural Earth" in readme
    for script in (
        vendor / "protomaps-leaflet",
        vendor / "mgrs",
        vendor / "geographiclib-geodesic",
    ):
        for path in script.glob("*.js"):
            assert hashlib.sha256(path.read_bytes()).hexdigest() in readme, path.name


def test_a_sign_in_posted_from_another_site_is_refused(line: LiveServer) -> None:
    form = {"token": line.tokens["russia"]}
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        answer = httpx.post(f"{line.url}/console/sign-in", data=form, headers=headers)
        assert answer.status_code == 403
        assert "set-cookie" not in answer.headers


def test_a_sign_in_sets_a_strict_http_only_cookie_and_never_echoes_the_token(
    line: LiveServer,
) -> None:
    answer = httpx.post(f"{line.url}/console/sign-in", data={"token": line.tokens["russia"]})
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    assert line.tokens["russia"] not in cookie + answer.text
    session = httpx.get(f"{line.url}/console/session", cookies=answer.cookies).json()
    assert (session["party"], session["role"]) == ("russia", "planner")
    assert line.tokens["russia"] not in str(session)


def test_positions_and_times_typed_by_people_are_read_by_the_server(line: LiveServer) -> None:
    with line.client("russia") as client:
        read = client.get("/v1/position", params={"text": "37S DT 66561 06777"}).json()
        assert (round(read["lat_deg"], 5), round(read["lon_deg"], 5)) == (33.5, 38.64)
        assert read["dms"] == "33°30'00.0\"N 038°38'24.0\"E"
        refused = client.get("/v1/position", params={"text": "33°60'00\"N 038°38'24\"E"})
        assert refused.status_code == 422
        assert "minutes must be below 60" in refused.json()["detail"]
        moment = client.get("/v1/time", params={"text": "062200ZSEP27"}).json()
        assert moment == {
            "text": "062200ZSEP27",
            "iso": "2027-09-06T22:00:00Z",
            "dtg": "062200ZSEP27",
        }
        assert client.get("/v1/time", params={"text": "2027-09-06T22:00"}).status_code == 422
        before = datetime.now(UTC).replace(second=0, microsecond=0)
        later = parse_time(client.get("/v1/time", params={"text": "now+2h"}).json()["iso"])
        assert later - before in (timedelta(hours=2), timedelta(hours=2, minutes=1))
    assert httpx.get(f"{line.url}/v1/position", params={"text": "33.5 38.6"}).status_code == 401


def test_a_tile_server_is_allowed_for_images_only() -> None:
    policy = content_security_policy("https://{s}.tiles.example.org/{z}/{x}/{y}.png")
    assert "img-src 'self' data: https://*.tiles.example.org" in policy
    assert "connect-src 'self'" in policy
    assert "img-src 'self' data:;" in content_security_policy("")


@pytest.mark.parametrize(
    "url", ["ftp://tiles.example.org/{z}/{x}/{y}", "https://tiles.example.org/"]
)
def test_a_tile_url_that_is_not_a_tile_template_is_refused_at_start(
    tmp_path: Path, url: str
) -> None:
    with pytest.raises(ValueError, match="tile_url"):
        create_app(Settings(db=tmp_path / "line.db", tile_url=url))
