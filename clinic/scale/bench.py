"""`make bench`: how fast the pages are on the seeded clinic, next to the framework's floor.

    python manage.py seed_scale --patients 50000 --seed 7     # once
    python -m clinic.scale.bench [--rate 5] [--requests 200] [--workers 2]

It starts the app under gunicorn with the production settings (DEBUG off, HTTPS behind a proxy
header), signs in a clinician, a coordinator and an admin by creating their sessions (with the
second factor passed), and measures each page twice:

- throughput: a closed loop of `--workers` concurrent clients, requests per second;
- latency: an open loop at the same fixed rate for every page (`--rate` requests per second,
  default 5: a busy hour of a clinic of this size, some hundred staff signed in), each latency
  counted from when the request was due, so a slow server cannot hide its queue. The rate is
  fixed, not derived from the pages, so runs before and after a change are compared at one load.

The floor is `bench/floor/`: one query of twelve rows and a small template through the full
middleware stack. It is measured alongside each page: while a page is asked for at `--rate`, a
floor request is due half-way between every other two of them (half as many as the page's), and
the page's p95 is compared with the p95 of the floor requests made at the same time. The
machine's speed drifts within a run (on a shared virtual machine, the floor's p95 has moved by
half within one run), and a page compared with a floor measured minutes earlier or later is
compared with another machine. The floor's row gives all its requests together. The table gives
p50/p95/p99, requests per second, each page's p95 next to the floor's p95 of its time and their
ratio, and the queries each page runs (counted in-process on the same database).
At the end it reports each gunicorn worker's peak memory. This is a script, not a test: it
reports figures, and `--check` makes it exit non-zero when a goal is missed.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RATIO_GOAL = 3.0
MEMORY_GOAL_MB = 250
DEFAULT_RATE = 5.0


@dataclass
class Page:
    name: str
    persona: str
    path: str
    method: str = "GET"
    body: Callable[[], dict[str, str]] | None = None
    headers: dict[str, str] = field(default_factory=dict)  # e.g. htmx's, for a fragment
    # Further addresses taken in turn with `path` (the same page for other patients).
    more_paths: list[str] = field(default_factory=list)
    expect: int = 200
    queries: int | None = None
    rps: float = 0.0
    latencies: list[float] = field(default_factory=list)
    # The floor's latencies measured alongside this page (see open_loop).
    floor_latencies: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._turn = itertools.cycle([self.path, *self.more_paths])

    def next_path(self) -> str:
        return next(self._turn)

    def percentile(self, fraction: float) -> float:
        return percentile(self.latencies, fraction)

    def ratio(self) -> float:
        """The page's p95 over the p95 of the floor measured alongside it."""
        return self.percentile(0.95) / percentile(self.floor_latencies, 0.95)


def percentile(latencies: list[float], fraction: float) -> float:
    """In milliseconds; the nearest rank."""
    ordered = sorted(latencies)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index] * 1000


def production_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DEBUG", None)
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    env["ALLOWED_HOSTS"] = "127.0.0.1,testserver"
    env.setdefault("LOG_LEVEL", "WARNING")
    env["DJANGO_SETTINGS_MODULE"] = "clinic.settings"
    return env


# --- what to ask for ---------------------------------------------------------------------------


def prepare() -> tuple[dict[str, str], list[Page]]:
    """Bench users with sessions, and the pages with real codes from the seeded clinic."""
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore
    from django.db.models import Count
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    from clinic.accounts.models import Discipline, User
    from clinic.accounts.roles import Role
    from meetings.models import Meeting, MeetingStatus
    from patients.models import Patient

    def session_for(role: str, discipline: str) -> str:
        user, _ = User.objects.get_or_create(
            username=f"bench.{role}",
            defaults={
                "email": f"bench.{role}@clinic.example.org",
                "first_name": "Bench",
                "last_name": role.title(),
                "discipline": discipline,
                "must_change_password": False,
            },
        )
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        device, _ = StaticDevice.objects.get_or_create(user=user, name="bench", confirmed=True)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session["signed_in_at"] = time.time()
        session.create()
        return session.session_key or ""

    sessions = {
        Role.CLINICIAN: session_for(Role.CLINICIAN, Discipline.PAIN_ANAESTHESIA),
        Role.COORDINATOR: session_for(Role.COORDINATOR, Discipline.COORDINATION),
        Role.ADMIN: session_for(Role.ADMIN, Discipline.ADMINISTRATION),
    }
    patients = Patient.objects.filter(restricted=False, status="active")
    # Patients with a long history: the chart is read from the first; a run saves some 300
    # assessments, spread over the next twenty (as a clinic's staff save them for many patients),
    # so that no record grows run after run and every run reads the same chart.
    long_histories = list(
        patients.annotate(assessment_count=Count("assessments"))
        .filter(assessment_count__gte=25)
        .order_by("id")[:21]
    )
    if len(long_histories) < 2:
        sys.exit("No seeded clinic here: run `python manage.py seed_scale` first.")
    patient, *saved_for = long_histories
    save_paths = [f"/assessments/patient/{other.code}/new/" for other in saved_for]
    # A surname shared by a few dozen patients: a search as selective as a real one.
    surname = (
        Patient.objects.values("family_name")
        .annotate(n=Count("id"))
        .filter(n__gte=20, n__lte=200)
        .order_by("-n")
        .values_list("family_name", flat=True)
        .first()
    ) or patient.family_name
    meeting = (
        Meeting.objects.filter(status=MeetingStatus.PUBLISHED)
        .annotate(cases=Count("items"))
        .order_by("-cases", "starts_at")
        .first()
    )
    if meeting is None:
        sys.exit("The seeded clinic has no published meeting.")
    code = patient.code

    def assessment_form() -> dict[str, str]:
        return {
            "assessed_at": time.strftime("%Y-%m-%dT%H:%M", time.localtime(time.time() - 120)),
            "context": "review",
            "instruments": "nrs",
            "nrs-score": str(secrets.randbelow(11)),
            "action": "save",
        }

    pages = [
        Page("floor", Role.CLINICIAN, "/bench/floor/"),
        Page("patient list", Role.CLINICIAN, "/patients/"),
        Page("name search", Role.CLINICIAN, f"/patients/?q={surname.lower()}"),
        Page("patient chart", Role.CLINICIAN, f"/patients/{code}/"),
        # The chart loads its story figure with htmx, as the browser asks for it.
        Page(
            "chart story figure",
            Role.CLINICIAN,
            f"/assessments/patient/{code}/chart/",
            headers={"HX-Request": "true"},
        ),
        Page(
            "save assessment",
            Role.CLINICIAN,
            save_paths[0],
            method="POST",
            body=assessment_form,
            expect=302,
            more_paths=save_paths[1:],
        ),
        Page("agenda (30 cases)", Role.COORDINATOR, f"/meetings/{meeting.code}/"),
        # The agenda page loads its suggested cases with htmx, as the browser asks for them.
        Page(
            "agenda suggestions",
            Role.COORDINATOR,
            f"/meetings/{meeting.code}/suggestions/",
            headers={"HX-Request": "true"},
        ),
        Page("run meeting", Role.COORDINATOR, f"/meetings/{meeting.code}/run/"),
        Page("reminder queue", Role.COORDINATOR, "/reminders/queue/"),
        Page("audit log by patient", Role.ADMIN, f"/audit/?patient={code}"),
    ]
    return sessions, pages


def count_queries(sessions: dict[str, str], pages: list[Page]) -> None:
    """Queries per page, counted in this process against the same database."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    for page in pages:
        client = Client(headers={"X-Forwarded-Proto": "https"}, HTTP_HOST="127.0.0.1")
        client.cookies[settings.SESSION_COOKIE_NAME] = sessions[page.persona]
        if page.method == "POST":
            form = client.get(page.path)
            token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form.content)
            csrf = {"csrfmiddlewaretoken": token.group(1).decode() if token else ""}
            body = page.body or dict
            # Counted warm too: the seed stores procedure outcomes without deriving them from
            # the seeded scores, so the first assessment saved for a patient corrects them all.
            client.post(page.path, {**body(), **csrf})
            with CaptureQueriesContext(connection) as captured:
                response = client.post(page.path, {**body(), **csrf})
        else:
            # Counted warm, as the load sees it: the first request of a process also fills
            # caches (the clinic policy, the navigation) that later ones read.
            client.get(page.path, headers=page.headers)
            with CaptureQueriesContext(connection) as captured:
                response = client.get(page.path, headers=page.headers)
        if response.status_code != page.expect:
            sys.exit(f"{page.name}: {page.method} {page.path} answered {response.status_code}")
        page.queries = len(captured.captured_queries)


# --- the server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "clinic.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 (our own interpreter)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz", headers={"X-Forwarded-Proto": "https"})
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not start")


def worker_memory_mb(server: subprocess.Popen[bytes]) -> list[tuple[int, float, float]]:
    """(pid, peak RSS, current RSS) of each worker, from /proc."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    figures = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        peak = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]
        now = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]
        figures.append((int(pid), peak, now))
    return figures


# --- the load ------------------------------------------------------------------------------------


class Requester:
    def __init__(
        self, port: int, cookie_name: str, csrf_cookie_name: str, sessions: dict[str, str]
    ) -> None:
        self.port = port
        self.cookie_name = cookie_name
        self.csrf_cookie_name = csrf_cookie_name
        self.sessions = sessions
        self.csrf: dict[str, str] = {}

    def _send(
        self,
        method: str,
        path: str,
        persona: str,
        body: str = "",
        extra: dict[str, str] | None = None,
    ) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        cookie = f"{self.cookie_name}={self.sessions[persona]}"
        if persona in self.csrf:
            cookie += f"; {self.csrf_cookie_name}={self.csrf[persona]}"
        headers = {
            "X-Forwarded-Proto": "https",
            "Cookie": cookie,
            "Host": "127.0.0.1",
            **(extra or {}),
        }
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        response.read()
        connection.close()
        return response

    def csrf_token(self, page: Page) -> str:
        """The form's token, as a browser would get it (the cookie comes with the form)."""
        response = self._send("GET", page.path, page.persona)
        for header, value in response.getheaders():
            if header.lower() == "set-cookie" and value.startswith(self.csrf_cookie_name + "="):
                self.csrf[page.persona] = value.split(";", 1)[0].split("=", 1)[1]
        return self.csrf.get(page.persona, "")

    def once(self, page: Page) -> float:
        from urllib.parse import urlencode

        path = page.next_path()
        started = time.perf_counter()
        if page.method == "POST":
            data = {
                **(page.body() if page.body else {}),
                "csrfmiddlewaretoken": self.csrf[page.persona],
            }
            response = self._send(
                "POST",
                path,
                page.persona,
                urlencode(data),
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Referer": f"https://127.0.0.1{path}",
                    "Origin": "https://127.0.0.1",
                    **page.headers,
                },
            )
        else:
            response = self._send("GET", path, page.persona, extra=page.headers)
        if response.status != page.expect:
            raise RuntimeError(f"{page.name}: {page.method} {path} answered {response.status}")
        return time.perf_counter() - started


def keep_sessions_alive(requester: Requester, pages: list[Page]) -> None:
    """One floor request per persona: a run is longer than the idle timeout, and a persona
    whose page comes last would otherwise find its session ended."""
    floor = pages[0]
    for persona in {page.persona for page in pages}:
        requester.once(Page(floor.name, persona, floor.path))


def closed_loop(requester: Requester, page: Page, *, clients: int, requests: int) -> float:
    """Requests per second with `clients` back-to-back clients."""
    remaining = [requests]
    lock = threading.Lock()

    def client() -> None:
        while True:
            with lock:
                if remaining[0] == 0:
                    return
                remaining[0] -= 1
            requester.once(page)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return requests / (time.perf_counter() - started)


def open_loop(
    requester: Requester, page: Page, *, rate: float, requests: int, floor: Page
) -> tuple[list[float], list[float]]:
    """Latencies at a fixed arrival rate, each counted from when its request was due: the
    page's, `rate` a second, and the floor's, due half-way between every other two of the
    page's (`rate / 2` a second, at the same time and on the same machine)."""
    latencies: dict[str, list[float]] = {"page": [], "floor": []}
    lock = threading.Lock()
    start = time.perf_counter() + 0.05

    def one(due: float, asked: Page, kind: str) -> None:
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        requester.once(asked)
        finished = time.perf_counter()
        with lock:
            latencies[kind].append(finished - due)

    floor_as = Page(floor.name, page.persona, floor.path)  # the page's own person
    schedule = [(start + index / rate, page, "page") for index in range(requests)]
    schedule += [
        (start + (index + 0.5) / rate, floor_as, "floor") for index in range(0, requests, 2)
    ]
    with ThreadPoolExecutor(max_workers=32) as pool:
        futures = [pool.submit(one, *each) for each in sorted(schedule, key=lambda e: e[0])]
        for future in futures:
            future.result()
    return latencies["page"], latencies["floor"]


# --- the report ----------------------------------------------------------------------------------


def report(pages: list[Page], memory: list[tuple[int, float, float]], rate: float) -> bool:
    floor, measured = pages[0], pages[1:]
    print()
    print(
        f"Latency at {rate:g} requests/s (open loop), with the floor measured alongside each "
        "page; throughput with back-to-back clients"
    )
    header = (
        f"{'page':<22}{'queries':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>8}"
        f"{'floor p95':>11}{'p95/floor':>11}"
    )
    print(header)
    print("-" * len(header))
    print(
        f"{floor.name:<22}{floor.queries if floor.queries is not None else '-':>8}"
        f"{floor.percentile(0.5):>9.1f}{floor.percentile(0.95):>9.1f}"
        f"{floor.percentile(0.99):>9.1f}{floor.rps:>8.1f}{'(all)':>11}{'1.00x':>11}"
    )
    met = True
    for page in measured:
        ratio = page.ratio()
        met = met and ratio <= RATIO_GOAL
        print(
            f"{page.name:<22}{page.queries if page.queries is not None else '-':>8}"
            f"{page.percentile(0.5):>9.1f}{page.percentile(0.95):>9.1f}"
            f"{page.percentile(0.99):>9.1f}{page.rps:>8.1f}"
            f"{percentile(page.floor_latencies, 0.95):>11.1f}{ratio:>10.2f}x"
            f"{'' if ratio <= RATIO_GOAL else '  over goal'}"
        )
    print()
    for pid, peak, now in memory:
        print(f"gunicorn worker {pid}: peak {peak:.0f} MB, now {now:.0f} MB")
    worst = max((peak for _, peak, _ in memory), default=0.0)
    print(
        f"Goals: every p95 within {RATIO_GOAL:g}x the floor's: {'met' if met else 'NOT met'}; "
        f"worker peak under {MEMORY_GOAL_MB} MB: {'met' if worst < MEMORY_GOAL_MB else 'NOT met'}"
    )
    return met and worst < MEMORY_GOAL_MB


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=DEFAULT_RATE,
        help=f"requests per second for every page (default {DEFAULT_RATE:g})",
    )
    parser.add_argument("--requests", type=int, default=200, help="measured requests per page")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument(
        "--queries-only",
        action="store_true",
        help="print each page's query count and stop (compare a small and a large clinic)",
    )
    args = parser.parse_args(argv)

    env = production_environment()
    os.environ.update(env)
    sessions, pages = prepare()
    count_queries(sessions, pages)
    if args.queries_only:
        for page in pages:
            print(f"{page.name:<22}{page.queries:>4} queries")
        return 0
    from django.conf import settings

    port = free_port()
    server = start_gunicorn(env, port, args.workers)
    try:
        requester = Requester(
            port, settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, sessions
        )
        for page in pages:
            if page.method == "POST":
                requester.csrf_token(page)
            for _ in range(10):  # warm up: templates compiled, connections open
                requester.once(page)
            page.rps = closed_loop(
                requester, page, clients=args.workers, requests=args.requests // 2
            )
            print(f"throughput {page.name}: {page.rps:.1f} requests/s", flush=True)
        rate = args.rate
        floor, measured = pages[0], pages[1:]
        for page in measured:
            keep_sessions_alive(requester, pages)
            page.latencies, page.floor_latencies = open_loop(
                requester, page, rate=rate, requests=args.requests, floor=floor
            )
            floor.latencies += page.floor_latencies
            print(
                f"latency at {rate:g}/s {page.name}: p95 {page.percentile(0.95):.1f} ms, "
                f"floor alongside {percentile(page.floor_latencies, 0.95):.1f} ms "
                f"({page.ratio():.2f}x)",
                flush=True,
            )
        memory = worker_memory_mb(server)
    finally:
        server.terminate()
        server.wait(timeout=30)
    ok = report(pages, memory, rate)
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
