# syntax=docker/dockerfile:1
# web3-auth: a build stage makes a virtualenv with `pip install .` (compilers live only there); the final stage
# copies that virtualenv alone onto the same slim base and runs it as UID/GID 10001.
#
#   docker build -t web3-auth:0.1.0 .
#   docker run --rm -v web3-auth-keys:/var/lib/web3-auth web3-auth:0.1.0 \
#     python -m app keygen --output /var/lib/web3-auth/keys.json
#   docker run --rm --read-only --tmpfs /tmp -p 127.0.0.1:8000:8000 -v web3-auth-keys:/var/lib/web3-auth:ro \
#     -e AUTH_JWT_KEYS_FILE=/var/lib/web3-auth/keys.json web3-auth:0.1.0     (README.md, "Docker")
#
# The base is pinned to an exact Python patch release and Debian release. For reproducible builds pin it by
# digest too (the tag stays for humans, the digest is what is pulled):
#   docker buildx imagetools inspect python:3.11.17-slim-bookworm    # prints the index "Digest: sha256:..."
#   docker build --build-arg PYTHON_IMAGE=python:3.11.17-slim-bookworm@sha256:<digest> .
# Both stages must use the same image: the virtualenv's interpreter is a link to the base's /usr/local/bin/python.
ARG PYTHON_IMAGE=python:3.11.17-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
# Wheel-building tools, for any dependency without a prebuilt wheel on this platform (they never reach the
# final stage).
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies first, in their own cached layer (they change far less often than the code): exactly the
# versions of requirements.lock, hash-checked; its setuptools then builds the package without a download.
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.md ./
COPY app ./app
# pip (which also compiles the bytecode) and setuptools are not needed at run time: leave them behind.
RUN pip install --no-deps --no-build-isolation . \
    && pip uninstall -y pip setuptools wheel

FROM ${PYTHON_IMAGE}
# A fixed UID/GID, so that volume ownership and Kubernetes' runAsUser/fsGroup can name it.
# /var/lib/web3-auth: a mount point owned by that user, for a key file volume (deploy/docker-compose.yml's
# keygen service writes keys.json there; a fresh named volume takes this directory's owner and mode).
RUN groupadd --system --gid 10001 web3auth \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin web3auth \
    && install -d -o 10001 -g 10001 -m 0700 /var/lib/web3-auth
COPY --from=build /opt/venv /opt/venv
# Nothing is written at run time outside /tmp: bytecode was compiled in the build stage and is never written
# again, logs go to stdout/stderr. PYTHONSAFEPATH keeps the working directory off sys.path: `app` is
# only ever the installed package. So the container runs with a read-only root filesystem
# (`docker run --read-only --tmpfs /tmp`, compose `read_only: true` + `tmpfs: [/tmp]`, Kubernetes
# `readOnlyRootFilesystem: true` + an emptyDir at /tmp). With AUTH_WORKERS > 1 the Prometheus multiprocess
# directory (PROMETHEUS_MULTIPROC_DIR) lives under /tmp: give /tmp a writable tmpfs/emptyDir then too.
ENV PATH=/opt/venv/bin:$PATH \
    AUTH_HOST=0.0.0.0 \
    AUTH_PORT=8000 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONSAFEPATH=1
USER 10001:10001
EXPOSE 8000
# No curl in the slim image: the check uses the interpreter. /healthz is liveness only (200 while the process
# lives); orchestrators should gate traffic on /readyz.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('AUTH_PORT', '8000')}/healthz\", timeout=2)"]
# SIGTERM: web3-auth stops being ready, drains in-flight requests for at most AUTH_SHUTDOWN_GRACE seconds
# (default 10) and exits 0; give it longer than that before SIGKILL (`docker stop -t 15`, compose
# stop_grace_period, Kubernetes terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM
CMD ["python", "-m", "app"]
