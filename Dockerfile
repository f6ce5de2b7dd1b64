# One image for the three services and the web console. The command picks what runs:
#   serve catalogue (the default) | serve evaluation | serve matching | serve console
#   | migrate [SERVICE]
# Settings come from the environment (CATALOGUE_*, EVALUATION_*, MATCHING_*; see the README).
# Build: docker build -t cityfit-match .

FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

FROM python:3.11-slim AS build
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
WORKDIR /app
# the dependencies first, from the lock alone: this layer is rebuilt only when uv.lock changes
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project
COPY services ./services
COPY shared ./shared
# the project itself as a wheel (not editable): the runtime stage needs the venv and nothing else
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 cityfit && mkdir /data && chown cityfit /data
COPY --from=build /app/.venv /app/.venv
# listen on every interface inside the container; SQLite files (the embedded default) go to /data
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 \
    CATALOGUE_HOST=0.0.0.0 EVALUATION_HOST=0.0.0.0 MATCHING_HOST=0.0.0.0 CONSOLE_HOST=0.0.0.0 \
    CATALOGUE_DATA_DIR=/data EVALUATION_DATA_DIR=/data MATCHING_DATA_DIR=/data
USER 10001
WORKDIR /data
EXPOSE 8000 8001 8002 8003
ENTRYPOINT ["cityfit"]
CMD ["serve", "catalogue"]
