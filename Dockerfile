# One image for the three services; the command picks the service:
#   python -m services.intake | python -m services.resolution | python -m services.stats
# Settings come from the environment (README, "Configuration"); SESSION_SECRET must be set, the
# image has no writable place to keep a generated one.

# --- build: the locked dependencies and the project's wheel, into a virtualenv ---------------------
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY requirements.lock ./
# Every package's version and hash is fixed by the lock file (binary wheels: no compiler needed).
RUN pip install --no-cache-dir --require-hashes --no-deps --only-binary=:all: -r requirements.lock
COPY pyproject.toml ./
COPY services ./services
COPY shared ./shared
COPY deploy ./deploy
RUN pip install --no-cache-dir --no-deps .

# --- run: the virtualenv only, as an unprivileged user --------------------------------------------
FROM python:3.11-slim-bookworm
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin dvc
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HTTP_HOST=0.0.0.0
WORKDIR /home/dvc
USER 10001:10001
EXPOSE 8001 8002 8003
CMD ["python", "-m", "services.intake"]
