# syntax=docker/dockerfile:1
# One image for every Hawkari service, the one-shot migrations and the operator commands; the
# command differs per service (see docker-compose.yml and deploy/k8s/). Dependencies come from
# uv.lock exactly (`uv sync --frozen`), the base image is pinned to an exact release.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# The same uv as the Makefile, from PyPI.
RUN pip install --no-cache-dir "uv==0.13.8"
WORKDIR /app
# Dependencies first: this layer is rebuilt only when the lock changes.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY hawkari ./hawkari
COPY shared ./shared
COPY services ./services
COPY deploy ./deploy
RUN uv sync --frozen --no-dev

FROM ${PYTHON_IMAGE} AS runtime
# A fixed, unprivileged user; Kubernetes' runAsUser and compose's `user:` name the same id.
RUN groupadd --system --gid 10001 hawkari \
 && useradd --system --uid 10001 --gid hawkari --home-dir /app --no-create-home --shell /usr/sbin/nologin hawkari \
 && install -d -o 10001 -g 10001 /var/mail/hawkari
# /var/mail/hawkari: the compose mail sink's Maildir; a new named volume takes this owner.
WORKDIR /app
# Owned by root and read-only to the service: the code cannot be changed by the process running it.
COPY --from=build /app /app
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER 10001:10001
EXPOSE 8000 8001 8002 8003 8004
CMD ["hawkari", "--help"]
