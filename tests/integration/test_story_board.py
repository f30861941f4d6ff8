"""Stories over the gateway: /v1/stories as JSON with the bearer token, /stories as a page behind HTTP Basic, read
by headless Chromium. The stories are written straight into a private Redis through StoryIndex.assign."""

from __future__ import annotations

import shutil
import struct
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx
import numpy as np
import pytest
import redis
from pydantic import SecretStr

from config import Settings
from newsflow.schema import StoryMember
from newsflow.state.stories import StoryIndex
from newsflow.stories.copies import text_print
from newsflow.stories.similarity import Signal
from tests.integration.test_gateway_http import AUTH, TOKEN, serving
from workers.dev.embedded import PrivateRedis

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium")
GAS_EN = "Jordan and Egypt sign a gas supply deal in Amman"
GAS_AR = "الأردن ومصر يوقعان اتفاقا لتوريد الغاز في عمّان"
DATES_EN = "Basra farmers expect a record date harvest"


def _unit(axis: int) -> np.ndarray:
    vector = np.zeros(384, np.float32)
    vector[axis] = 1.0
    return vector


def _add(index: StoryIndex, n: int, title: str, language: str, axis: int, text: str) -> str:
    """One article into the stories; the same ``axis`` (vector) puts articles in the same story."""
    at = time.time() - 600 + n
    names = frozenset({"place:amman"} if axis == 0 else {"place:basra"})
    signal = Signal(_unit(axis), names, frozenset({f"country:{'JO' if axis == 0 else 'IQ'}"}), language, at)
    article_id = f"{n:032x}"
    member = StoryMember(id=article_id, title=title, language=language, source=f"Wire {n}",
                         url=f"https://news.example/{n}", joined_at=datetime.fromtimestamp(at, UTC),
                         names=[name.split(":", 1)[1].title() for name in names])  # fmt: skip
    return index.assign(article_id, 1, signal, text_print(text), member).story.id


@pytest.fixture(scope="module")
def stories() -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    """A gateway over a Redis holding two stories: the gas deal (Arabic, English and an English copy) and dates."""
    gas_text = "The two governments signed the agreement on Monday after months of talks over prices. " * 3
    with PrivateRedis() as server:
        settings = Settings(redis_url=SecretStr(server.url), gateway_token=SecretStr(TOKEN))
        index = StoryIndex(redis.Redis.from_url(server.url), settings)
        gas = _add(index, 1, GAS_AR, "ar", 0, "وقع البلدان الاتفاق يوم الاثنين بعد أشهر من المفاوضات. " * 3)
        assert _add(index, 2, GAS_EN, "en", 0, gas_text) == gas, "same vector, same story"
        assert _add(index, 3, GAS_EN + " (syndicated)", "en", 0, gas_text) == gas
        dates = _add(index, 4, DATES_EN, "en", 1, "Growers around Basra say the palms carry more fruit this year. " * 3)
        with serving(settings) as http:
            yield http, {"gas": gas, "dates": dates}


def test_the_story_list_needs_the_token_and_lists_the_latest_first(stories):
    http, ids = stories
    assert http.get("/v1/stories").status_code == 401
    listed = http.get("/v1/stories", headers=AUTH)
    assert listed.status_code == 200, listed.text
    assert [s["id"] for s in listed.json()] == [ids["dates"], ids["gas"]]
    gas = listed.json()[1]
    assert "members" not in gas, "the list leaves the articles to /v1/stories/{id}"
    assert (gas["title"], gas["size"], gas["countries"]) == (GAS_EN, 3, ["JO"])
    assert sorted(gas["languages"]) == ["ar", "en"]
    assert len(http.get("/v1/stories", params={"limit": 1}, headers=AUTH).json()) == 1
    assert http.get("/v1/stories", params={"since": time.time() + 60}, headers=AUTH).json() == []
    assert http.get("/v1/stories", params={"limit": 501}, headers=AUTH).status_code == 422


def test_one_story_comes_with_its_articles_newest_first(stories):
    http, ids = stories
    assert http.get(f"/v1/stories/{ids['gas']}").status_code == 401
    found = http.get(f"/v1/stories/{ids['gas']}", headers=AUTH)
    assert found.status_code == 200, found.text
    members = found.json()["members"]
    assert [m["title"] for m in members] == [GAS_EN + " (syndicated)", GAS_EN, GAS_AR]
    assert members[0]["duplicate_of"] == f"{2:032x}", "the syndicated text is a copy of the English article"
    unknown = http.get("/v1/stories/0000000000000000", headers=AUTH)
    assert unknown.status_code == 404 and "no live story" in unknown.json()["detail"]


def test_the_board_needs_the_token_as_the_basic_password(stories):
    http, _ = stories
    refused = http.get("/stories")
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == 'Basic realm="newsflow"'
    assert http.get("/stories", auth=("reader", "wrong")).status_code == 401
    assert http.get("/stories", headers=AUTH).status_code == 401, "the board takes Basic auth, not the bearer"
    page = http.get("/stories", auth=("anyone", TOKEN))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert GAS_EN in page.text and GAS_AR in page.text and DATES_EN in page.text


def _chromium(url: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [CHROMIUM or "chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               f"--user-data-dir={profile}", *args, url]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium on PATH (apt-get install chromium)")
def test_chromium_shows_both_stories_with_the_arabic_title_right_to_left(stories, tmp_path):
    http, _ = stories
    # Chromium answers the 401's Basic challenge with the URL's credentials (and keeps them out of the page).
    url = f"http://reader:{quote(TOKEN, safe='')}@127.0.0.1:{http.base_url.port}/stories"
    dom = _chromium(url, tmp_path / "profile", "--dump-dom").stdout
    assert GAS_EN in dom and DATES_EN in dom, dom[-2000:]
    assert (
        f'<p class="title" dir="auto" lang="ar"><a href="https://news.example/1" rel="noopener noreferrer">{GAS_AR}</a>'
        in dom
    )
    assert f"copy of {2:032x}" in dom
    shot = tmp_path / "board.png"
    _chromium(url, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,900")
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (1280, 900)
    assert len(png) > 20_000, f"a {len(png)}-byte screenshot is about blank"
