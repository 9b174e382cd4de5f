# Wegwijs. The two commands: `make run` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3.10
VENV ?= .venv
BIN := $(VENV)/bin
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test system install spacy-model full-spacy model check validate unit stories nlu-test \
        integration unit-and-retrain retrain-e2e benchmark-nlu benchmark-language benchmark-conversations benchmark-safety benchmark-pii retention db portal staff-demo clean \
        retrain-export retrain-round retrain-rollback scale audit benchmark-serving benchmark-parse \
        benchmark-insights insights

## run: set up, train when needed, start Rasa + action server + portal + web server, print the URLs
run: full-spacy model
	$(BIN)/wegwijs retention
	$(BIN)/python -m wegwijs.serve

## scale: the scale-out topology on this machine: PostgreSQL, Redis, 2 Rasa + 2 action servers behind nginx
scale: full-spacy model
	$(BIN)/python -m wegwijs.scale

## test: everything CI runs (installs the system packages it needs first: deploy/system-packages.sh).
## The retraining end to end (its own trainings on a copy) runs beside the unit tests: each keeps about
## one core busy, so on 2 cores they take about as long together as the longer one alone.
test: INTEGRATION_EXTRA := --ignore=tests/test_retrain_e2e.py
test: system spacy-model check validate audit unit-and-retrain model stories nlu-test integration

## system: the system packages the tests need (chromium, npm, Redis, nginx, PostgreSQL), installed with
## apt-get when missing (as root or with sudo)
system:
	bash deploy/system-packages.sh

## audit: known vulnerabilities in the installed packages (pip-audit in its own venv; waivers in .ci/)
AUDIT_VENV := .venv-audit
$(AUDIT_VENV)/bin/pip-audit:
	$(PYTHON) -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/pip install --quiet "pip-audit==2.10.1"
audit: install $(AUDIT_VENV)/bin/pip-audit
	mkdir -p results
	$(BIN)/python .ci/audit.py $(AUDIT_VENV)/bin/pip-audit $(BIN)/python results/audit.json

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade "pip==24.2" "setuptools==70.3.0" "wheel==0.45.1"
	$(BIN)/pip install --quiet -c constraints.txt -e ".[test]"
	touch $@

install: $(VENV)/.installed

## spacy-model: build and install the Dutch spaCy pipeline nl_wegwijs when its inputs changed
spacy-model: install
	$(BIN)/python -m wegwijs.nlp.build

## full-spacy: try to get spaCy's nl_core_news_sm (needs internet); go on without it
full-spacy: install
	@if $(BIN)/python -c "import spacy.util, sys; sys.exit(0 if spacy.util.is_package('nl_core_news_sm') else 1)"; then \
	  echo "nl_core_news_sm: installed, Wegwijs builds on it"; \
	elif timeout 120 $(BIN)/python -m spacy download nl_core_news_sm >/dev/null 2>&1; then \
	  echo "nl_core_news_sm: downloaded, Wegwijs builds on it"; \
	else \
	  echo "nl_core_news_sm: not available (offline?); Wegwijs uses its own Dutch pipeline (blank nl + simplemma)"; \
	fi

## model: train the Rasa model when config, domain, data or the spaCy pipeline changed
model: spacy-model
	$(BIN)/wegwijs train

check: install
	$(BIN)/wegwijs check

validate: install
	$(BIN)/python -m wegwijs.validate

unit: install
	$(BIN)/pytest -m "not model and not integration" --durations=15

## retrain-e2e: export, review, a promoted round, a refused round and a rollback on a copy (three trainings)
retrain-e2e: spacy-model
	$(BIN)/pytest tests/test_retrain_e2e.py --durations=5

## unit-and-retrain: the unit tests and, at the same time, the retraining end to end (its log is printed after)
unit-and-retrain: install spacy-model
	@mkdir -p results
	@$(BIN)/pytest -p no:cacheprovider tests/test_retrain_e2e.py --durations=5 > results/retrain-e2e.log 2>&1 & \
	  retrain=$$!; status=0; \
	  $(BIN)/pytest -m "not model and not integration" --durations=15 || status=$$?; \
	  if wait $$retrain; then retrained=0; else retrained=$$?; fi; \
	  echo "--- the retraining end to end (results/retrain-e2e.log):"; tail -n 40 results/retrain-e2e.log; \
	  if [ $$retrained -ne 0 ]; then echo "the retraining end to end FAILED"; status=1; fi; \
	  exit $$status

stories: model
	$(BIN)/rasa test core --model models/wegwijs.tar.gz --stories tests/stories \
	  --fail-on-prediction-errors --out results/stories

nlu-test: model
	$(BIN)/python -m wegwijs.evaluation --model models/wegwijs.tar.gz --floor 0.92 --safety-ceiling 0.02

integration: model tests/.cache/axe.min.js
	$(BIN)/pytest -m "model or integration" --durations=25 $(INTEGRATION_EXTRA)

## axe-core for the accessibility test (npm registry; not committed)
AXE_VERSION := 4.10.3
tests/.cache/axe.min.js:
	mkdir -p tests/.cache/npm
	cd tests/.cache/npm && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null && \
	  tar xzf axe-core-$(AXE_VERSION).tgz package/axe.min.js && mv package/axe.min.js ../axe.min.js
	rm -rf tests/.cache/npm

## benchmark-serving: Wegwijs against Rasa's `rasa init` bot: latency, messages/s, long conversations,
## start time, memory, 1 vs 2 processes (prints a table; benchmarks/results/serving.md)
benchmark-serving: model
	$(BIN)/python benchmarks/serving.py

## benchmark-insights: the Insights page over 100,000 generated conversations in PostgreSQL against 1,000
## (p50/p95 and ratios; benchmarks/results/insights.md)
benchmark-insights: install
	$(BIN)/python benchmarks/insights.py

## insights: sum up the conversations since the last time for the portal's Insights page
insights: install
	$(BIN)/wegwijs insights refresh

## benchmark-parse: the classifiers' milliseconds per message, weights column-major against row-major
benchmark-parse: model
	$(BIN)/python benchmarks/parse_speed.py

## benchmark-nlu: DIET, Rasa's logistic regression and ours (with and without lemmas), same data and seed: held-out
## macro-F1 with bootstrap intervals, the safety sets, training time, and another domain's Dutch set (about 40 minutes)
benchmark-nlu: spacy-model
	$(BIN)/python benchmarks/nlu.py

## benchmark-language: language recognition on the blind six-language set (prints a table; no model needed)
benchmark-language: $(VENV)/.installed
	$(BIN)/python -m benchmarks.language

## benchmark-conversations: the blind whole conversations, turn by turn, with the trained model
benchmark-conversations: model
	$(BIN)/python -m benchmarks.conversations

## benchmark-safety: crisis recall and false alarms, rules alone and the trained NLU (prints a table)
benchmark-safety: model
	$(BIN)/python benchmarks/safety.py

## benchmark-pii: PII recall and precision per type, ours against deduce alone (prints a table)
benchmark-pii: install
	$(BIN)/python benchmarks/pii.py

## retention: delete conversations past the retention period (WEGWIJS_RETENTION_DAYS, default 30), the
## content and transcript of handovers resolved long ago (WEGWIJS_HANDOVER_RETENTION_DAYS, default 30), and
## replace personal data in conversations silent for WEGWIJS_SCRUB_IDLE_MINUTES (default 60) by placeholders
retention: install
	$(BIN)/wegwijs retention

## db: bring our tables (handovers, staff, audit log) to the newest migration
db: install
	$(BIN)/wegwijs db upgrade

## portal: only the staff portal (needs WEGWIJS_PORTAL_SECRET; `make run` starts everything)
portal: db
	$(BIN)/wegwijs portal

## staff-demo: demo accounts for the example schools (passwords printed once)
staff-demo: db
	$(BIN)/wegwijs staff demo

## retrain-export, retrain-round, retrain-rollback: retraining from conversation logs (README,
## "Retraining"; docs/retraining.md). Review in the portal or with `wegwijs retrain review`.
retrain-export: db
	$(BIN)/wegwijs retrain export

retrain-round: model
	$(BIN)/wegwijs retrain round

retrain-rollback: install
	$(BIN)/wegwijs retrain rollback

clean:
	rm -rf models results var/log .pytest_cache
