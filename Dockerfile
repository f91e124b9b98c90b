# The plenary server image used by compose.yaml. Pages are served from static/ next to the
# package, so the package is installed in place (editable) rather than into site-packages.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY server ./server
COPY static ./static
RUN pip install -e . && useradd --system --no-create-home plenary
USER plenary

EXPOSE 8000
HEALTHCHECK --interval=5s --timeout=3s --retries=3 \
  CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
CMD ["plenary", "serve", "--host", "0.0.0.0", "--port", "8000"]
