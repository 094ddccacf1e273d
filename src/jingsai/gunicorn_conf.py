"""Gunicorn settings for running jingsai in production:

    gunicorn -c python:jingsai.gunicorn_conf jingsai.wsgi

with JINGSAI_PRODUCTION=1 and the variables of the README's configuration table, behind a
reverse proxy that terminates TLS. bench/exam_load.py starts the server with this file.

- Threaded workers (gthread): a request waiting on PostgreSQL leaves the core to another.
- The application is loaded once, before the workers fork (preload_app). Every worker is
  then ready as soon as it exists, and a worker that dies is replaced in a moment. A
  keep-alive connection stays with the worker that accepted it, so workers still booting
  while the first connections arrive (an exam hall opening) would leave one worker
  holding most of them.
- Keep-alive outlasts the exam page's 20-second heartbeat, so a candidate's browser keeps
  one connection for the whole exam.
- The workers share one listening socket by default. JINGSAI_REUSE_PORT=1 gives each
  worker a socket of its own (SO_REUSEPORT) and the kernel spreads new connections over
  them evenly, where on one shared socket the worker that happens to be awake takes most of
  a burst (an exam hall connecting at once left one worker of 16 holding 12 of 32
  connections and seven holding none). Even spreading is not faster on a small machine:
  on 2 cores with 1,500 candidates (bench/exam_load.py, 16 workers x 2 threads), the shared
  socket gave answer saves at 0.51 of the trivial endpoint's rate with a p99 of 74-89 ms,
  the per-worker sockets 0.40-0.41 with 194-472 ms, PostgreSQL spending three to four
  times the CPU per save with every worker's connection busy at once. Try it on a machine
  with many cores and measure. Only for TCP addresses: a Unix socket's path belongs to one
  socket. A worker that dies resets the connections still waiting in its own queue
  (clients send again; the exam page does); on Linux 5.14+ the sysctl
  net.ipv4.tcp_migrate_req=1 hands them to another worker instead.
- Before each fork, the master moves every object it holds (the loaded application: the
  URL configuration, the API schemas, the translations) out of the garbage collector's
  reach (gc.freeze). A worker's full collections then look only at what the worker
  itself made, and (as Python's documentation for gc.freeze explains) no longer write
  into the pages it shares with the master. Measured in bench/exam_load.py (2026-12-06,
  two runs each way, alternating): the server's CPU per candidate start 21.1 and 25.7 ms
  against 25.2 and 30.1 ms without it; a start builds thousands of objects (the bank's
  pool rows, the draw) and so meets full collections. Answer saves and the trivial
  endpoint were unchanged.

Environment: JINGSAI_BIND (default 127.0.0.1:8000; several addresses comma-separated),
WEB_CONCURRENCY (worker processes, default 8 per core), JINGSAI_THREADS (threads per
worker, default 2), JINGSAI_ACCESS_LOG (a file, or - for standard output; default none),
JINGSAI_REUSE_PORT (1: a listening socket per worker; default 0, one shared socket).
"""

import gc
import os

bind = [address.strip() for address in os.environ.get("JINGSAI_BIND", "127.0.0.1:8000").split(",")
        if address.strip()]
workers = int(os.environ.get("WEB_CONCURRENCY") or 8 * (os.cpu_count() or 1))
worker_class = "gthread"
threads = int(os.environ.get("JINGSAI_THREADS") or 2)
preload_app = True
keepalive = 30
reuse_port = os.environ.get("JINGSAI_REUSE_PORT", "0") == "1" and not any(
    address.startswith(("unix:", "fd://")) for address in bind)
worker_connections = 1000
backlog = 4096
timeout = 60
graceful_timeout = 30
accesslog = os.environ.get("JINGSAI_ACCESS_LOG") or None
wsgi_app = "jingsai.wsgi:application"


def pre_fork(server, worker):
    gc.freeze()
