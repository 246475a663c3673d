# kenshin: one stateless app server (gunicorn). PostgreSQL, Redis and the mail worker
# run elsewhere; see README "Running in production".
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_ENV=production

WORKDIR /app

COPY requirements.txt constraints.txt ./
RUN pip install -r requirements.txt -c constraints.txt

RUN groupadd --system kenshin && useradd --system --gid kenshin --home /app kenshin
COPY --chown=kenshin:kenshin . .

# collectstatic needs a settings import; these build-time values are never used at run time.
RUN SECRET_KEY=build-only-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
    ALLOWED_HOSTS=build AUDIT_HMAC_KEY=build-only-key-not-used-at-run-time-000000 \
    LOTTERY_SEED_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
    VOUCHER_HMAC_KEY=build-only-key-not-used-at-run-time-000000 \
    DATABASE_URL=postgres://build@localhost/build CACHE_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var/exports && chown -R kenshin:kenshin /app/var

USER kenshin
EXPOSE 8000
# /healthz with the first ALLOWED_HOSTS name as Host (Django refuses unknown hosts).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os,sys,urllib.request as u; r=u.Request('http://127.0.0.1:8000/healthz', headers={'Host': os.environ['ALLOWED_HOSTS'].split(',')[0]}); sys.exit(0 if u.urlopen(r, timeout=4).status == 200 else 1)"

# Workers = 2 × cores + 1 is gunicorn's rule of thumb; set GUNICORN_CMD_ARGS to tune.
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--no-control-socket", "--access-logfile", "-", "--access-logformat", "%(h)s \"%(m)s %(U)s\" %(s)s %(b)s %(L)s"]
