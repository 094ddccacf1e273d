"""Theory exam under load: answer saves per second, latency, and answers lost.

Starts the application as it runs in production (gunicorn with the settings of
src/jingsai/gunicorn_conf.py: preloaded, several gthread workers; JINGSAI_PRODUCTION=1
with generated secrets, DEBUG off) on PostgreSQL, in a fresh database, and drives
simulated candidates from this process over loopback with a small asyncio HTTP/1.1
client (keep-alive, one connection per candidate). Phases:

  ping       --concurrency candidates call GET /api/exams/ping back to back: the
             baseline, a trivial JSON endpoint of the same server in the same run
  capacity   the same candidates save answers back to back (POST .../answers), over the
             same kept-alive connections (a connection stays with the worker that
             accepted it, so both phases spread over the workers alike); ping and
             capacity alternate in four slices of --seconds/4 each, so that other load
             on the machine weighs on both alike, and each pair's ratio is printed.
             The other candidates hang up first (and connect again for the exam): left
             idle, their connections would reach the server's keep-alive limit in the
             middle of these slices, and the work of closing hundreds of them at once
             would fall on whichever slice it met
  exam       all N candidates answer every --think seconds (±50%), as in an exam hall,
             for twice --seconds
  then every candidate hands in, and what each sent is compared with what is stored.

Beside each phase's rate: the server's and PostgreSQL's CPU per request and the context
switches per request of the client, the gunicorn processes' threads and PostgreSQL's
processes (from /proc), which show where a save's extra cost goes.

A save that meets a connection error (or a 5xx) is sent again with the same question,
sequence number and answer, as the exam page does: `--kill-worker` SIGKILLs one gunicorn
worker in the middle of the exam phase to show that nothing is lost when that happens.

    .venv/bin/python bench/exam_load.py [--candidates N] [--kill-worker]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jingsai_bench (the default)
"""

import argparse
import asyncio
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/jingsai_bench"
TARGETS = {"ratio": 0.5, "p99_ms": 300, "lost": 0}


# ---------------------------------------------------------------- the world (run in a subprocess)

SETUP = r'''
import datetime, json, secrets, sys
import django
django.setup()
from django.db import transaction
from django.utils import timezone
from jingsai.accounts.models import ApiToken, User
from jingsai.competitions.models import Competition, Series, Stage
from jingsai.competitions.spec import load_spec, spec_as_json
from jingsai.core import crypto, idnumber
from jingsai.core.masking import mask_id_number
from jingsai.exams import services
from jingsai.orgs.services import create_organization
from jingsai.people.models import Person, id_digest
from jingsai.registration.models import Entry

n = int(sys.argv[1])
with transaction.atomic():
    union = create_organization(None, parent=None, code="B-UNION", name="基准市总工会", type="union")
    unit = create_organization(None, parent=union, code="B-UNIT", name="基准企业", type="enterprise")
    spec = load_spec({"code": "B-EXAM", "name": "基准焊工", "host": "B-UNION", "occupation": "6-18-02-04",
                      "series": {"code": "B-2026", "name": "基准系列赛", "year": 2026},
                      "level": "city", "class": "class2",
                      "components": [{"key": "theory", "name": "理论知识", "max": 100, "weight": "0.3", "pass": 60},
                                     {"key": "practical", "name": "操作技能", "max": 100, "weight": "0.7",
                                      "pass": 60}]})
    series = Series.objects.create(code="B-2026", name="基准系列赛", year=2026, host=union)
    competition = Competition.objects.create(code="B-EXAM", name=spec["name"], host=union, series=series,
        occupation=spec["occupation"], level=spec["level"], klass=spec["class"], mode=spec["mode"],
        team_size=spec["team_size"], spec=spec_as_json(spec), status="in_progress")
    stage = Stage.objects.create(competition=competition, key="final", name="决赛", order=0)
    bank = services.create_bank(None, occupation="6-18-02-04", level=3, owner=union, name="基准题库")
    lines = []
    for i in range(400):
        kind = i % 4
        lines.append(f"$CATEGORY: $course$/top/知识点{i % 8}")
        lines.append("")
        if kind == 0:
            lines.append(f"焊接第{i}题：下列哪一项正确？{{=选项甲{i} ~选项乙{i} ~选项丙{i} ~选项丁{i}}}")
        elif kind == 1:
            lines.append(f"焊接第{i}题：哪些做法正确？"
                         f"{{~%50%做法甲{i} ~%50%做法乙{i} ~%-100%做法丙{i} ~%-100%做法丁{i}}}")
        elif kind == 2:
            lines.append(f"焊接第{i}题：焊前必须检查设备。{{TRUE}}")
        else:
            lines.append(f"焊接第{i}题：保护气体通常是____。{{=氩气{i} =Ar{i}}}")
        lines.append("")
    services.import_questions(None, bank, "\n".join(lines).encode(), filename="bench.gift", fmt="gift")
    paper = services.save_paper(None, competition=competition, bank=bank, name="基准试卷", kind="blueprint",
        sections=[{"type": "single", "count": 40, "points": "1"}, {"type": "multiple", "count": 20, "points": "1"},
                  {"type": "judge", "count": 20, "points": "1"}, {"type": "fill", "count": 20, "points": "1"}])
    now = timezone.now()
    session = services.create_session(None, competition, paper=paper, name="基准理论考试",
        opens_at=now - datetime.timedelta(minutes=1), closes_at=now + datetime.timedelta(hours=4),
        duration_minutes=180)
    people = []
    for i in range(n):
        number = idnumber.make("310104", datetime.date(1980, 1, 1) + datetime.timedelta(days=i), i % 1000)
        people.append(Person(name=f"考生{i}", employer=unit, id_number_encrypted=crypto.encrypt(number),
                             id_number_digest=id_digest(number), id_number_masked=mask_id_number(number),
                             birth_date=datetime.date(1980, 1, 1), sex="M"))
    Person.objects.bulk_create(people, batch_size=2000)
    Entry.objects.bulk_create([Entry(competition=competition, stage=stage, person=p, unit=unit, number=i + 1,
                                     status="approved") for i, p in enumerate(people)], batch_size=2000)
    users = User.objects.bulk_create([User(username=f"c{i}", person=p, password="!") for i, p in enumerate(people)],
                                     batch_size=2000)
    raw = ["js_" + secrets.token_urlsafe(24) for _ in users]
    ApiToken.objects.bulk_create([ApiToken(user=u, name="bench", prefix=t[:8], digest=ApiToken.hash(t))
                                  for u, t in zip(users, raw)], batch_size=2000)
print(json.dumps({"session": session.pk, "tokens": raw}))
'''

VERIFY = r'''
import json, sys
import django
django.setup()
from jingsai.exams.models import Answer, Attempt
session = int(sys.argv[1])
rows = Answer.objects.filter(attempt__session_id=session).values_list("attempt_id", "position", "seq", "response")
out = {f"{a}:{p}": [s, r] for a, p, s, r in rows.iterator()}
status = dict(Attempt.objects.filter(session_id=session).values_list("pk", "status"))
print(json.dumps({"answers": out, "status": {str(k): v for k, v in status.items()}}))
'''


def environment(database_url, var_dir):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jingsai.settings",
        "DATABASE_URL": database_url,
        "JINGSAI_PRODUCTION": "1",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "JINGSAI_DATA_KEY": secrets.token_urlsafe(32),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "JINGSAI_VAR_DIR": str(var_dir),
        "LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(ROOT / "src"),
    }


def fresh_database(url):
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def run_python(env, code, *args):
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        sys.exit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---------------------------------------------------------------- a small HTTP/1.1 client


class StaleConnection(ConnectionResetError):
    """A kept-alive connection the server had closed (idle too long, or its worker was
    killed) before any byte of the answer came: a browser sends the request again on a
    new connection at once, and so do we."""


class Connection:
    def __init__(self, port):
        self.port, self.reader, self.writer = port, None, None
        self.used = False  # has answered a request: a failure before any byte may be stale

    async def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, method, path, body=None, headers=()):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            self.used = False
        status_line = b""
        payload = json.dumps(body).encode() if body is not None else b""
        head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(payload)}"]
        if body is not None:
            head.append("Content-Type: application/json")
        head += [f"{k}: {v}" for k, v in headers]
        try:
            self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
            status_line = await self.reader.readline()
            if not status_line:
                raise ConnectionResetError("closed")
            status = int(status_line.split()[1])
            length, close = 0, False
            while True:
                line = await self.reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "connection" and value.strip().lower() == "close":
                    close = True
            data = await self.reader.readexactly(length) if length else b""
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            stale = self.used and not status_line
            await self.close()
            raise (StaleConnection if stale else ConnectionResetError)("broken") from None
        self.used = True
        if close:
            await self.close()
        return status, data


# ---------------------------------------------------------------- candidates


class Stats:
    def __init__(self):
        self.latencies, self.count, self.retries, self.reconnects, self.errors = [], 0, 0, 0, []

    def summary(self, seconds):
        ordered = sorted(self.latencies) or [0]
        return {
            "rate": self.count / seconds,
            "p50": statistics.median(ordered) * 1000,
            "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
            "count": self.count,
        }


class Candidate:
    def __init__(self, port, token):
        self.connection = Connection(port)
        self.api_token, self.rng = token, random.Random(token)
        self.attempt = self.token = None
        self.items, self.seq, self.sent = [], {}, {}

    async def call(self, method, path, body=None, headers=(), stats=None):
        """Send until a definite answer: connection errors and 5xx are retried as they are."""
        for attempt in range(60):
            started = time.perf_counter()
            try:
                status, data = await self.connection.request(method, path, body, headers)
            except StaleConnection:
                if stats is not None:
                    stats.reconnects += 1
                continue
            except ConnectionResetError:
                if stats is not None:
                    stats.retries += 1
                await asyncio.sleep(min(0.05 * 2 ** attempt, 1.0))
                continue
            if status >= 500:
                if stats is not None:
                    stats.retries += 1
                await asyncio.sleep(0.2)
                continue
            if stats is not None:
                stats.latencies.append(time.perf_counter() - started)
                stats.count += 1
            return status, data
        raise RuntimeError(f"{method} {path}: no answer after 60 tries")

    async def start(self, session, stats):
        status, data = await self.call("POST", f"/api/exams/sessions/{session}/start", {"device": self.api_token[-16:]},
                                       [("Authorization", f"Bearer {self.api_token}")], stats)
        if status != 200:
            raise RuntimeError(f"start: {status} {data[:300]!r}")
        state = json.loads(data)
        self.attempt, self.token, self.items = state["attempt"], state["token"], state["items"]

    def response(self, item):
        rng = self.rng
        if item["type"] == "single":
            return rng.choice(item["options"])["key"]
        if item["type"] == "multiple":
            return sorted(rng.sample([o["key"] for o in item["options"]], rng.randint(1, 3)))
        if item["type"] == "judge":
            return rng.random() < 0.5
        return [f"答案{rng.randint(0, 99)}"]

    async def save(self, stats):
        item = self.rng.choice(self.items)
        position = item["position"]
        self.seq[position] = self.seq.get(position, 0) + 1
        answer = {"q": position, "seq": self.seq[position], "r": self.response(item)}
        self.sent[position] = (answer["seq"], answer["r"])
        status, data = await self.call("POST", f"/api/exams/attempts/{self.attempt}/answers", {"answers": [answer]},
                                       [("X-Attempt-Token", self.token)], stats)
        if status != 200:
            stats.errors.append(f"{status} {data[:200]!r}")

    async def submit(self, stats):
        status, data = await self.call("POST", f"/api/exams/attempts/{self.attempt}/submit", {},
                                       [("X-Attempt-Token", self.token)], stats)
        if status != 200:
            stats.errors.append(f"submit {status} {data[:200]!r}")


CLOCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds():
    """CPU time used so far by each gunicorn process and each of PostgreSQL's, and the
    context switches of all their threads, from /proc: {pid: (kind, seconds, switches)};
    this process's own switches under "client"."""
    used = {"client": ("client", 0.0, task_switches(Path("/proc/self")))}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        seconds = (int(fields[11]) + int(fields[12])) / CLOCK
        if b"gunicorn" in command:
            used[entry.name] = ("app", seconds, task_switches(entry))
        elif name.startswith("postgres"):
            used[entry.name] = ("db", seconds, task_switches(entry))
    return used


def task_switches(process):
    """Context switches (voluntary and not) of all of a process's threads so far."""
    total = 0
    try:
        tasks = list((process / "task").iterdir())
    except OSError:
        return 0
    for task in tasks:
        try:
            lines = (task / "status").read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            name, _, value = line.partition(":")
            if name.endswith("ctxt_switches"):  # voluntary_ctxt_switches, nonvoluntary_ctxt_switches
                total += int(value)
    return total


def cpu_between(before, after):
    """CPU used between two readings, by kind, and context switches by kind ("client",
    "app", "db" under "switches"); a process that ended in between is left out (its last
    part is lost, which is small), one that began counts from zero."""
    totals = {"app": 0.0, "db": 0.0}
    switches = {"client": 0, "app": 0, "db": 0}
    for pid, (kind, seconds, count) in after.items():
        _kind, seconds_before, count_before = before.get(pid, (kind, 0.0, 0))
        if kind != "client":
            totals[kind] += seconds - seconds_before
        switches[kind] += count - count_before
    return {**totals, "switches": switches}


async def ping_slice(candidates, seconds, stats):
    """The trivial endpoint, called back to back over the same kept-alive connections the
    capacity phase saves on: a connection stays with the worker that accepted it, so both
    phases then spread their requests over the workers alike."""
    stop = time.perf_counter() + seconds

    async def loop(connection):
        while time.perf_counter() < stop:
            started = time.perf_counter()
            try:
                status, _data = await connection.request("GET", "/api/exams/ping")
            except ConnectionResetError:
                continue
            if status == 200:
                stats.latencies.append(time.perf_counter() - started)
                stats.count += 1

    await asyncio.gather(*(loop(c.connection) for c in candidates))


async def capacity_slice(candidates, seconds, stats):
    stop = time.perf_counter() + seconds

    async def loop(candidate):
        while time.perf_counter() < stop:
            await candidate.save(stats)

    await asyncio.gather(*(loop(c) for c in candidates))


async def baseline_and_capacity(candidates, concurrency, seconds, rounds=4):
    """Trivial endpoint and answer saves in alternating slices over the same connections,
    so that load from elsewhere on the machine weighs on both alike; each slice pair's
    ratio is kept too, to show how much it varies."""
    ping, saves = Stats(), Stats()
    cpu = {phase: {"client": 0.0, "app": 0.0, "db": 0.0, "switches": {"client": 0, "app": 0, "db": 0}}
           for phase in ("ping", "capacity")}
    clients, slice_ratios = candidates[:concurrency], []

    async def measured(phase, work, stats):
        server = cpu_seconds()  # read outside the client's timed part: /proc is slow to walk
        began, count = time.process_time(), stats.count
        await work
        cpu[phase]["client"] += time.process_time() - began
        used = cpu_between(server, cpu_seconds())
        for key, value in used.pop("switches").items():
            cpu[phase]["switches"][key] += value
        for key, value in used.items():
            cpu[phase][key] += value
        return stats.count - count

    for _ in range(rounds):
        pings = await measured("ping", ping_slice(clients, seconds / rounds, ping), ping)
        saved = await measured("capacity", capacity_slice(clients, seconds / rounds, saves), saves)
        slice_ratios.append(saved / pings if pings else 0)
    ping_summary, save_summary = ping.summary(seconds), saves.summary(seconds)
    for summary, phase in ((ping_summary, "ping"), (save_summary, "capacity")):
        summary["client_cpu"] = cpu[phase]["client"] / seconds
        count = summary["count"] or 1
        summary["app_ms"] = cpu[phase]["app"] / count * 1000
        summary["db_ms"] = cpu[phase]["db"] / count * 1000
        summary["switches"] = {kind: n / count for kind, n in cpu[phase]["switches"].items()}
    save_summary["slice_ratios"] = slice_ratios
    return ping_summary, saves, save_summary


async def exam_phase(candidates, seconds, think, kill):
    stats, stop = Stats(), time.perf_counter() + seconds

    async def loop(candidate):
        await asyncio.sleep(candidate.rng.uniform(0, think))
        while time.perf_counter() < stop:
            await candidate.save(stats)
            await asyncio.sleep(candidate.rng.uniform(think * 0.5, think * 1.5))

    tasks = [asyncio.create_task(loop(c)) for c in candidates]
    if kill is not None:
        await asyncio.sleep(seconds / 2)
        kill()
    await asyncio.gather(*tasks)
    return stats, stats.summary(seconds)


def wait_until_serving(port, master, workers):
    """Until the port answers and every worker is up: candidates arriving while workers
    still boot would all land, keep-alive, on the first ones."""
    for _ in range(600):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                if len(workers_of(master)) >= workers:
                    time.sleep(0.5)
                    return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit("the server did not come up")


def workers_of(master):
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


async def drive(args, port, session, tokens, master):
    candidates = [Candidate(port, token) for token in tokens]
    start_stats = Stats()
    began, client_began, server_began = time.perf_counter(), time.process_time(), cpu_seconds()
    for chunk in range(0, len(candidates), 50):
        await asyncio.gather(*(c.start(session, start_stats) for c in candidates[chunk:chunk + 50]))
    start_seconds = time.perf_counter() - began
    start_cpu = {"client": time.process_time() - client_began, **cpu_between(server_began, cpu_seconds())}
    del start_cpu["switches"]
    for candidate in candidates[args.concurrency:]:
        await candidate.connection.close()
    await asyncio.sleep(1)  # the server takes the hang-ups before the measuring starts
    ping, capacity_stats, capacity = await baseline_and_capacity(candidates, args.concurrency, args.seconds)
    killed = {}

    def kill():
        workers = workers_of(master)
        if workers:
            victim = workers[0]
            os.kill(victim, signal.SIGKILL)
            killed["pid"] = victim

    exam_stats, exam = await exam_phase(candidates, args.seconds * 2, args.think,
                                        kill if args.kill_worker else None)
    submit_stats = Stats()
    for chunk in range(0, len(candidates), 100):
        await asyncio.gather(*(c.submit(submit_stats) for c in candidates[chunk:chunk + 100]))
    for candidate in candidates:
        await candidate.connection.close()
    return {
        "candidates": candidates, "start_seconds": start_seconds, "start": start_stats.summary(start_seconds),
        "start_cpu_ms": {kind: seconds / len(candidates) * 1000 for kind, seconds in start_cpu.items()},
        "ping": ping, "capacity": capacity, "exam": exam, "killed": killed,
        "retries": capacity_stats.retries + exam_stats.retries + submit_stats.retries + start_stats.retries,
        "reconnects": {"start": start_stats.reconnects, "capacity": capacity_stats.reconnects,
                       "exam": exam_stats.reconnects, "submit": submit_stats.reconnects},
        "errors": capacity_stats.errors + exam_stats.errors + submit_stats.errors,
    }


def lost_answers(candidates, stored):
    lost = 0
    for candidate in candidates:
        for position, (seq, response) in candidate.sent.items():
            if stored.get(f"{candidate.attempt}:{position}") != [seq, response]:
                lost += 1
    return lost


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=300, help="simulated candidates (N)")
    parser.add_argument("--concurrency", type=int, default=32,
                        help="clients calling back to back in the ping and capacity phases")
    parser.add_argument("--seconds", type=float, default=16, help="length of the ping and of the capacity "
                        "phase (the exam phase lasts twice as long)")
    parser.add_argument("--think", type=float, default=3.0, help="seconds between a candidate's answers")
    parser.add_argument("--workers", type=int, help="gunicorn worker processes (default: as jingsai.gunicorn_conf "
                        "sets them, from WEB_CONCURRENCY or the number of cores)")
    parser.add_argument("--threads", type=int, help="threads per gunicorn worker (default: as "
                        "jingsai.gunicorn_conf sets them)")
    parser.add_argument("--kill-worker", action="store_true", help="SIGKILL one worker in the middle of the exam")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from jingsai import gunicorn_conf

    args.workers = args.workers or gunicorn_conf.workers
    args.threads = args.threads or gunicorn_conf.threads
    args.reuse_port = gunicorn_conf.reuse_port  # JINGSAI_REUSE_PORT
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DB
    if not database_url.startswith("postgres"):
        sys.exit("This benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
    var_dir = ROOT / "var" / "bench-exam"
    var_dir.mkdir(parents=True, exist_ok=True)
    env = environment(database_url, var_dir)
    print(f"preparing a fresh database ({urlparse(database_url).path.lstrip('/')}) with {args.candidates} candidates…",
          flush=True)
    fresh_database(database_url)
    subprocess.run([sys.executable, "-m", "jingsai.cli", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    world = run_python(env, SETUP, str(args.candidates))
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:jingsai.gunicorn_conf", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--threads", str(args.threads), "--log-level", "warning"],
        env=env, cwd=ROOT,
    )
    try:
        wait_until_serving(port, server.pid, args.workers)
        result = asyncio.run(drive(args, port, world["session"], world["tokens"], server.pid))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    stored = run_python(env, VERIFY, str(world["session"]))
    report(args, result, stored)


def report(args, result, stored):
    ping, capacity, exam = result["ping"], result["capacity"], result["exam"]
    candidates = result["candidates"]
    sent = sum(len(c.sent) for c in candidates)
    lost = lost_answers(candidates, stored["answers"])
    submitted = sum(1 for s in stored["status"].values() if s != "in_progress")
    ratio = capacity["rate"] / ping["rate"] if ping["rate"] else 0
    sockets = "a socket per worker" if args.reuse_port else "one shared socket"
    print(f"server: gunicorn {args.workers} workers × {args.threads} threads, {sockets} (jingsai.gunicorn_conf), "
          "PostgreSQL, production settings")
    print(f"started {len(candidates)} attempts in {result['start_seconds']:.1f} s "
          f"(p50 {result['start']['p50']:.0f} ms, p99 {result['start']['p99']:.0f} ms); CPU per start: "
          + ", ".join(f"{kind} {ms:.1f} ms" for kind, ms in result["start_cpu_ms"].items()))
    print(f"{'phase':<10} {'clients':>8} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} {'client CPU':>11}"
          f" {'app CPU ms/req':>15} {'db CPU ms/req':>14}")
    for name, row in (("ping", ping), ("capacity", capacity)):
        print(f"{name:<10} {args.concurrency:>8} {row['rate']:>9.0f} {row['p50']:>8.1f} {row['p99']:>8.1f} "
              f"{row['count']:>9} {row['client_cpu']:>10.0%} {row['app_ms']:>15.2f} {row['db_ms']:>14.2f}")
    print("context switches per request (client, app, db): " + "; ".join(
        f"{name} " + ", ".join(f"{row['switches'][kind]:.1f}" for kind in ("client", "app", "db"))
        for name, row in (("ping", ping), ("capacity", capacity))))
    print(f"{'exam':<10} {len(candidates):>8} {exam['rate']:>9.0f} {exam['p50']:>8.1f} {exam['p99']:>8.1f} "
          f"{exam['count']:>9}   (one answer every {args.think:g} s ± 50% per candidate)")
    slices = ", ".join(f"{r:.2f}" for r in capacity["slice_ratios"])
    print(f"answer saves vs the trivial endpoint: {capacity['rate']:.0f}/{ping['rate']:.0f} = {ratio:.2f} "
          f"(target ≥ {TARGETS['ratio']}); slice by slice: {slices}")
    print(f"p99 of a save with {len(candidates)} candidates: {exam['p99']:.0f} ms (target < {TARGETS['p99_ms']} ms)")
    if result["killed"]:
        print(f"killed gunicorn worker {result['killed']['pid']} (SIGKILL) half-way through the exam phase")
    reconnects = sum(result["reconnects"].values())
    by_phase = ", ".join(f"{phase} {count}" for phase, count in result["reconnects"].items() if count)
    print(f"sent again on a new connection after the server closed a kept-alive one: {reconnects}"
          f"{f' ({by_phase})' if by_phase else ''}; retried after other connection errors or 5xx: "
          f"{result['retries']}; refused saves: {len(result['errors'])}")
    print(f"answers sent (latest per question): {sent}; lost: {lost}; attempts handed in: {submitted}/"
          f"{len(candidates)}")
    for error in result["errors"][:5]:
        print("  refused:", error)
    ok = (ratio >= TARGETS["ratio"] and exam["p99"] < TARGETS["p99_ms"] and lost == 0 and not result["errors"]
          and submitted == len(candidates))
    print("OK" if ok else "TARGET MISSED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
