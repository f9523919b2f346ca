#!/usr/bin/env bash
# Runs the web server, a Celery worker and Celery beat on the embedded defaults
# (or on DATABASE_URL/REDIS_URL when set). Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${PORT:-8000}

pids=()
stop() {
  # Ignore further signals (a second Ctrl-C, make passing one on) until all is stopped.
  trap '' INT TERM
  trap - EXIT
  echo; echo "Stopping…"
  kill "${pids[@]}" 2>/dev/null || true
  # A worker whose pool processes got the same signal (Ctrl-C reaches the whole
  # process group) can hang in its warm shutdown: give everything 10 s, then kill.
  for _ in $(seq 20); do
    kill -0 "${pids[@]}" 2>/dev/null || break
    sleep 0.5
  done
  kill -9 "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

# A missing database is reported once, clearly, before anything starts.
$PY manage.py wait_for_db --timeout 30

.venv/bin/celery -A jincheng_portal worker --loglevel=INFO --concurrency=2 &
pids+=($!)
.venv/bin/celery -A jincheng_portal beat --loglevel=INFO \
  --scheduler django_celery_beat.schedulers:DatabaseScheduler &
pids+=($!)
$PY manage.py runserver "127.0.0.1:$PORT" &
pids+=($!)

sleep 2
cat <<TXT

  金点子 portal:      http://127.0.0.1:$PORT/
  Staff admin:        http://127.0.0.1:$PORT/admin/
  Demo logins:       listed above by seed_demo (and in the README)
  Ctrl-C stops the web server, the worker and beat.

TXT
# Stop everything as soon as any one of them dies.
wait -n
