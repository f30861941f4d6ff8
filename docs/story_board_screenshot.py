"""A screenshot of the gateway's story board: docs/story-board.png.

    .venv/bin/python docs/story_board_screenshot.py        (needs Debian's chromium: apt-get install chromium)

A private redis-server holding a few made-up stories, written straight through StoryIndex.assign (articles in
English, Arabic and French, with vectors that put each story's articles together; one syndicated copy),
`newsflow gateway` on a free port with a throwaway token, then headless Chromium photographs /stories, answering
its HTTP Basic challenge with the token as the password.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import redis
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config import Settings  # noqa: E402
from newsflow.schema import StoryMember  # noqa: E402
from newsflow.state.stories import StoryIndex  # noqa: E402
from newsflow.stories.copies import text_print  # noqa: E402
from newsflow.stories.similarity import Signal  # noqa: E402
from workers.dev.embedded import PrivateRedis, _spawn, _stop, free_port  # noqa: E402

GAS = "The two governments signed the five-year agreement on Monday after months of talks over prices and volumes."
# Each story: its countries, then its articles in the order they arrive: language, source, title, text, names.
STORIES: list[tuple[tuple[str, ...], list[tuple[str, str, str, str, tuple[str, ...]]]]] = [
    (("TN",), [
        ("en", "Maghreb Economic Review", "Tunisia opens its largest desalination plant near Sfax",
         "The plant will supply drinking water to about a million people in the south.", ("place:Sfax", "place:Tunisia")),
        ("ar", "صحيفة الساحل", "تونس تفتتح أكبر محطة لتحلية مياه البحر قرب صفاقس",
         "ستزود المحطة نحو مليون شخص في الجنوب بمياه الشرب.", ("place:صفاقس", "place:تونس")),
    ]),
    (("LB",), [
        ("ar", "بيروت اليوم", "أمطار غزيرة تغمر شوارع بيروت وتعطل حركة السير",
         "غمرت المياه عددا من الأحياء وأغلقت طرقا رئيسية لساعات.", ("place:بيروت", "organisation:الدفاع المدني")),
    ]),
    (("NL",), [
        ("en", "North Sea Shipping News", "Rotterdam port workers extend their strike over pay",
         "Union leaders said the stoppage would last until the weekend.", ("place:Rotterdam", "organisation:FNV")),
        ("fr", "Le Courrier du Port", "Les dockers de Rotterdam prolongent leur grève",
         "Le syndicat annonce que l'arrêt de travail durera jusqu'au week-end.", ("place:Rotterdam",)),
        ("ar", "وكالة الموانئ", "عمال ميناء روتردام يمددون إضرابهم بسبب الأجور",
         "قال النقابيون إن الإضراب سيستمر حتى نهاية الأسبوع.", ("place:روتردام",)),
    ]),
    (("IQ",), [
        ("ar", "صوت البصرة", "مزارعو البصرة يتوقعون موسما قياسيا لحصاد التمور",
         "يقول المزارعون إن النخيل يحمل هذا العام ثمارا أكثر من أي موسم سابق.", ("place:البصرة",)),
        ("en", "Gulf Farming Weekly", "Basra farmers expect a record date harvest",
         "Growers say the palms carry more fruit this year than in any season before.", ("place:Basra", "place:Iraq")),
    ]),
    (("JO", "EG"), [
        ("ar", "عمّان اليوم", "الأردن ومصر توقعان اتفاقية لتوريد الغاز لمدة خمس سنوات",
         "وقعت الحكومتان الاتفاقية يوم الاثنين بعد أشهر من المفاوضات.", ("place:عمّان", "place:مصر")),
        ("en", "Levant Herald", "Jordan and Egypt sign a five-year gas supply deal", GAS,
         ("place:Amman", "place:Egypt", "place:Jordan")),
        ("en", "Red Sea Reporter", "Jordan, Egypt agree gas deal", GAS, ("place:Amman", "place:Egypt")),
    ]),
]  # fmt: skip


def _unit(vector: np.ndarray) -> np.ndarray:
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def fill(index: StoryIndex) -> int:
    """Every article into the stories, the last one a few minutes ago; how many there were."""
    rng = np.random.default_rng(7)
    articles = [(countries, article) for countries, story in STORIES for article in story]
    centres = {countries: _unit(rng.standard_normal(384)) for countries, _ in STORIES}
    now = time.time()
    for n, (countries, (language, source, title, text, names)) in enumerate(articles, start=1):
        at = now - 900 * (len(articles) - n) - 240
        vector = _unit(centres[countries] + 0.2 * _unit(rng.standard_normal(384)))  # close to its story's
        signal = Signal(vector, frozenset(names), frozenset(f"country:{c}" for c in countries), language, at)
        member = StoryMember(id=f"{n:032x}", title=title, language=language, source=source,
                             url=f"https://news.example/{language}/{n}", joined_at=datetime.fromtimestamp(at, UTC),
                             names=[name.split(":", 1)[1] for name in names])  # fmt: skip
        index.assign(member.id, 1, signal, text_print(text), member)
    return len(articles)


def main() -> None:
    chromium = shutil.which("chromium") or sys.exit("needs chromium on PATH (apt-get install chromium)")
    port, token = free_port(), secrets.token_urlsafe(32)
    with ExitStack() as stack:
        server = stack.enter_context(PrivateRedis())
        settings = Settings(redis_url=SecretStr(server.url), gateway_token=SecretStr(token))
        print(f"{fill(StoryIndex(redis.Redis.from_url(server.url), settings))} articles in stories")
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")},
               "NEWSFLOW_REDIS_URL": server.url, "NEWSFLOW_GATEWAY_TOKEN": token}  # fmt: skip
        gateway = _spawn([str(Path(sys.executable).with_name("newsflow")), "gateway", "--port", str(port)], env=env,
                         cwd=ROOT, stdout=subprocess.DEVNULL)  # fmt: skip
        stack.callback(_stop, gateway, 10)
        _wait_until_serving(port)
        profile = stack.enter_context(tempfile.TemporaryDirectory(prefix="newsflow-chromium-"))
        shot = ROOT / "docs" / "story-board.png"
        subprocess.run([chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        f"--user-data-dir={profile}", "--window-size=1280,1100", f"--screenshot={shot}",
                        f"http://reader:{token}@127.0.0.1:{port}/stories"],
                       check=True, capture_output=True, timeout=120)  # fmt: skip
        print(f"wrote {shot.relative_to(ROOT)}")


def _wait_until_serving(port: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    sys.exit(f"the gateway did not answer on port {port} within {timeout_s:.0f} s")


if __name__ == "__main__":
    main()
