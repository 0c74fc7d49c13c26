# syntax=docker/dockerfile:1
# web3-auth: build wheels in one stage, run as a non-root user from a slim image without build tools.

FROM python:3.11-slim AS build
WORKDIR /src
# Dependencies first, in their own cached layer: they change far less often than the code.
COPY pyproject.toml README.md ./
RUN mkdir app && touch app/__init__.py \
    && pip wheel --no-cache-dir --wheel-dir /wheels . \
    && rm /wheels/web3_auth-*.whl
COPY app ./app
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin web3auth
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER 10001
ENV AUTH_HOST=0.0.0.0 \
    AUTH_PORT=8000 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('AUTH_PORT', '8000')}/healthz\", timeout=2)"]
CMD ["python", "-m", "app"]
