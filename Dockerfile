# The plenary server image used by compose.yaml. The package ships its pages (static/, installed
# as server/static), so it is installed like any package.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml setup.py README.md ./
COPY server ./server
COPY static ./static
# A C compiler for the install only: it builds the fan-out loop (server/fanout/_lane.c), then goes.
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
    && pip install . && rm -rf /app/build \
    && apt-get purge -y --auto-remove gcc libc6-dev && rm -rf /var/lib/apt/lists/* \
    && useradd --system --no-create-home plenary \
    && mkdir /app/plenary-data && chown plenary /app/plenary-data
# The data directory (compose mounts a volume here: a new volume takes this owner).
USER plenary

EXPOSE 8000
HEALTHCHECK --interval=5s --timeout=3s --retries=3 \
  CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
CMD ["plenary", "serve", "--host", "0.0.0.0", "--port", "8000"]
