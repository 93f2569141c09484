# syntax=docker/dockerfile:1
# Wijkmonitor: the dashboard with a demo database, served on port 8501.
#
#   docker build -t wijkmonitor .
#   docker run --rm -p 8501:8501 wijkmonitor
#   docker run --rm -p 8501:8501 -e WIJKMONITOR_DB=postgresql://user:pw@dbhost/wijkmonitor wijkmonitor
#
# The geo wheels (shapely, pyogrio, pyproj) bring their own GEOS/GDAL/PROJ and psycopg[binary]
# its own libpq: no system GDAL is needed. Keep data in /app/var by mounting a volume there.
# `wijkmonitor serve` listens on WIJKMONITOR_HOST (0.0.0.0 here: reachable through -p).
# The base image pinned to a full version tag (Python 3.11.14 on Debian 12). Pin its digest too
# (python:3.11.14-slim-bookworm@sha256:...) where the registry can be reached to look it up; it
# could not be from the machine this was written on.
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# tini: a proper PID 1, so that `docker stop` (SIGTERM) reaches the server and its children.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 wijkmonitor \
    && useradd --system --uid 10001 --gid wijkmonitor --create-home \
        --home-dir /home/wijkmonitor --shell /usr/sbin/nologin wijkmonitor

# Install the package (not editable) from a build folder that is removed afterwards.
WORKDIR /build
COPY requirements.lock pyproject.toml README.md ./
COPY geo ./geo
COPY indicators ./indicators
COPY data ./data
COPY dashboard ./dashboard
# Dependencies from the lock, each file checked against its hash; then the project alone.
RUN pip install --require-hashes -r requirements.lock \
    && pip install --no-deps . \
    && cd / \
    && rm -rf /build

WORKDIR /app
RUN mkdir -p /app/var && chown wijkmonitor:wijkmonitor /app/var

ENV WIJKMONITOR_DB=sqlite:////app/var/wijkmonitor.db \
    WIJKMONITOR_CACHE=/app/var/cache \
    WIJKMONITOR_HOST=0.0.0.0 \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false

USER wijkmonitor

# The demo database, built once at image build time as the user that serves it.
RUN wijkmonitor demo && test -s /app/var/wijkmonitor.db

EXPOSE 8501

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=3)"]

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["wijkmonitor", "serve", "--port", "8501"]
