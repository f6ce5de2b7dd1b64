# One image for every service: `cityfit serve $SERVICE` picks which one runs.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY services ./services
COPY shared ./shared
RUN uv sync --frozen --no-dev
RUN useradd --create-home --uid 10001 cityfit && mkdir -p /data && chown cityfit /data
USER cityfit
ENV SERVICE=catalogue
ENV CATALOGUE_HOST=0.0.0.0 EVALUATION_HOST=0.0.0.0 MATCHING_HOST=0.0.0.0 \
    CATALOGUE_DATA_DIR=/data EVALUATION_DATA_DIR=/data MATCHING_DATA_DIR=/data
EXPOSE 8001 8002 8003
CMD ["sh", "-c", "exec /app/.venv/bin/cityfit serve \"$SERVICE\""]
