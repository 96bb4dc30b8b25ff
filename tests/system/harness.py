"""Run Maitre as production does, as real processes, and break things on purpose.

`System` starts a private `redis-server` (no persistence, as the production docs run it), a database
(a fresh one on the shared PostgreSQL of DATABASE_URL, or a throwaway cluster of its own when a test
must restart PostgreSQL), migrates it, and runs the processes named in the repository's `Procfile`
under a small supervisor that restarts a process that exits: the only outside help a fault gets.
Teardown kills every process group it started, stops its servers and drops its database, also when
the test fails.

    with System(formation={"web": 1, "worker": 2, "scheduler": 1}) as system:
        slug = system.import_floor(SCENARIOS / "sample-large.json", slug="fault-redis")
        system.redis.stop(); ...; system.redis.start()
        system.sql("SELECT count(*) FROM assignments_booking")

The API, in full:
- `System(formation=..., private_postgres=False, env=None, procfile=None, template=None,
  keep_logs=None)`; `start()` /
  `stop()` or a `with` block.
- `system.redis`: `url`, `port`, `start()`, `stop()`, `freeze()` (SIGSTOP), `thaw()` (SIGCONT).
- `system.postgres`: `url`, `restart(down_seconds)`, and `stop()` / `start()` on a private cluster.
- `system.processes`: the supervised processes (`name`, `index`, `pid`, `restarts`, `kill(sig)`);
  `system.process("worker", 1)`; `system.web_url`, `system.token` (an API token of a superuser, who sees
  every restaurant; made at start).
- `system.manage(*args)`: `manage.py` in a subprocess with the processes' environment.
- `system.import_floor(path, slug=...)`: the scenario's floor only (its bookings are the load's to make),
  its service day moved to `system.day` (a week ahead: the API refuses bookings in the past).
- `system.sql(query, params)`: rows, on a fresh autocommit connection.
- `system.logs(tail=12)`: the end of every process's output, for a failure message; `keep_logs=DIR` copies
  the whole logs (one file per process, and Redis's) to DIR/<run> at stop.

Ports: web 8161-8179, Redis 6391-6399, PostgreSQL 5491-5499, all on 127.0.0.1.
"""

from __future__ import annotations

import glob
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
WEB_PORTS = range(8161, 8180)
REDIS_PORTS = range(6391, 6400)
POSTGRES_PORTS = range(5491, 5500)
DEFAULT_FORMATION = {"web": 1, "worker": 2, "scheduler": 1}


class HarnessError(RuntimeError):
    """The harness could not build the system (a missing binary, a server that would not start)."""


def wait_for(predicate, *, timeout: float, interval: float = 0.1, what: str = "condition"):
    """Poll until `predicate()` is truthy and return its value; HarnessError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # the thing is not up yet
            last_exc = exc
        time.sleep(interval)
    raise HarnessError(
        f"timed out after {timeout:g}s waiting for {what}"
        + (f" (last error: {last_exc!r})" if last_exc else "")
    )


_claimed_ports: set[int] = set()


def free_port(ports: range) -> int:
    """A port in `ports` that nothing listens on now (and that this process has not handed out)."""
    for port in ports:
        if port in _claimed_ports:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _claimed_ports.add(port)
        return port
    raise HarnessError(f"no free port in {ports.start}-{ports.stop - 1}")


def _release_port(port: int) -> None:
    _claimed_ports.discard(port)


def parse_procfile(path: Path) -> dict[str, str]:
    """`name: command` lines, in order; blank lines and `#` comments ignored."""
    if not path.exists():
        raise HarnessError(
            f"no Procfile at {path}: the production process list (web, worker, scheduler) is missing"
        )
    processes: dict[str, str] = {}
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, command = line.partition(":")
        if not sep or not name.strip() or not command.strip():
            raise HarnessError(f"{path}:{n}: expected `name: command`, got {raw!r}")
        processes[name.strip()] = command.strip()
    return processes


# -- Redis --------------------------------------------------------------------------------------
class RedisServer:
    """A private redis-server on 127.0.0.1 with no persistence: a stop loses everything, as in production."""

    def __init__(self, workdir: Path):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise HarnessError("redis-server is not installed")
        self.port = free_port(REDIS_PORTS)
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = open(self.workdir / f"redis-{self.port}.log", "ab")  # noqa: SIM115 (kept by the child)
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--protected-mode",
                "yes",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        wait_for(self.ping, timeout=10, what=f"redis on {self.port}")

    def ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")

    def stop(self) -> None:
        """Stop the server; its data is gone (no RDB, no AOF)."""
        if self.proc is None:
            return
        try:
            os.kill(self.proc.pid, signal.SIGCONT)  # a frozen server cannot handle SIGTERM
        except ProcessLookupError:
            pass
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def freeze(self) -> None:
        """SIGSTOP: connections stay open, nothing answers."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGCONT)

    def close(self) -> None:
        self.stop()
        _release_port(self.port)


# -- PostgreSQL ---------------------------------------------------------------------------------
def _with_db(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def _create_database(admin_url: str, name: str, template: str | None = None) -> None:
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))


def _drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class SharedPostgres:
    """A fresh database on the PostgreSQL server of `server_url` (never restarted by a test)."""

    private = False

    def __init__(self, server_url: str, name: str, template: str | None = None):
        self.admin_url = _with_db(server_url, "postgres")
        self.name = name
        self.template = template
        self.url = _with_db(server_url, name)

    def start(self) -> None:
        _create_database(self.admin_url, self.name, self.template)

    def restart(self, down_seconds: float = 0.0) -> None:
        raise HarnessError("restarting PostgreSQL needs System(private_postgres=True)")

    def close(self) -> None:
        _drop_database(self.admin_url, self.name)


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        raise HarnessError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    return Path(found[-1]).parent


class PostgresCluster:
    """A throwaway cluster (initdb into a temp dir, pg_ctl on a free port, trust auth on 127.0.0.1), run as the
    `postgres` OS user when we are root (PostgreSQL refuses to run as root). Durability is off: it is thrown away."""

    private = True

    def __init__(self, workdir: Path, name: str = "maitre"):
        self.bin = postgres_bin()
        self.port = free_port(POSTGRES_PORTS)
        self.dir = workdir / f"pg-{self.port}"
        self.data = self.dir / "data"
        self.name = name
        self.admin_url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/{name}"
        self._as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self._initialised = False

    def _run(self, *args: str, timeout: float = 120) -> None:
        done = subprocess.run([*self._as_postgres, *args], capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise HarnessError(f"{' '.join(args[:2])} failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")

    def start(self) -> None:
        if not self._initialised:
            self.dir.mkdir(parents=True)
            if self._as_postgres:
                shutil.chown(self.dir.parent, "postgres")
                shutil.chown(self.dir, "postgres")
            self._run(
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            )
            self._initialised = True
        try:
            self._pg_ctl("start")
        except HarnessError as first:
            # The port was free when picked; something may have taken it since (or the start failed for another
            # reason, which the server's log says): once more on another port, then fail with both logs' tails.
            log = self._log_tail()
            self.port = free_port(POSTGRES_PORTS)
            self.admin_url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
            self.url = f"postgres://postgres@127.0.0.1:{self.port}/{self.name}"
            try:
                self._pg_ctl("start")
            except HarnessError as second:
                raise HarnessError(
                    f"{first}\nserver log:\n{log}\nagain on {self.port}: {second}\n{self._log_tail()}"
                ) from second
        if self.name and not getattr(self, "_created", False):
            _create_database(self.admin_url, self.name)
            self._created = True

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=32MB"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            *extra,
            action,
        )

    def _log_tail(self, chars: int = 3000) -> str:
        try:
            return (self.dir / "server.log").read_text(errors="replace")[-chars:]
        except OSError as exc:
            return f"(no server log: {exc})"

    def stop(self) -> None:
        """Fast shutdown: every client's connection is cut, as a crash or a failover would."""
        if self.data.exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def restart(self, down_seconds: float = 0.0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self._pg_ctl("start")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def close(self) -> None:
        try:
            if self.running():
                self._run(
                    str(self.bin / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-m",
                    "immediate",
                    "-w",
                    "-t",
                    "60",
                    "stop",
                )
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
            _release_port(self.port)


# -- processes ----------------------------------------------------------------------------------
@dataclass
class Process:
    """One Procfile process instance, in a process group of its own (so teardown reaches its children)."""

    name: str
    index: int
    command: str
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen | None = None
    restarts: int = 0
    exits: list[int] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.name}.{self.index}"

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def start(self) -> None:
        # `exec` so that the pid is the program itself and a signal to it is a signal to the process.
        command = self.command if any(c in self.command for c in ";&|`") else f"exec {self.command}"
        with open(self.log_path, "ab") as log:
            log.write(f"\n=== {time.strftime('%H:%M:%S')} start: {self.command}\n".encode())
            log.flush()
            self.popen = subprocess.Popen(
                ["/bin/bash", "-c", command],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.groups.append(self.popen.pid)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the process itself (not its group): what an OOM kill or a crash does."""
        assert self.popen is not None
        os.kill(self.popen.pid, sig)

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def terminate_groups(self, sig: int) -> None:
        for pgid in self.groups:
            try:
                os.killpg(pgid, sig)
            except (ProcessLookupError, PermissionError):
                pass


class Supervisor(threading.Thread):
    """Restarts a process that exits, like systemd or a container runtime would (after `backoff` seconds)."""

    def __init__(self, processes: list[Process], backoff: float = 0.5):
        super().__init__(name="harness-supervisor", daemon=True)
        self.processes = processes
        self.backoff = backoff
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(0.2):
            for p in self.processes:
                if p.popen is not None and p.popen.poll() is not None and not self._stop_event.is_set():
                    p.exits.append(p.popen.returncode)
                    with open(p.log_path, "ab") as log:
                        log.write(
                            f"\n=== {time.strftime('%H:%M:%S')} exited {p.popen.returncode}; restarting\n".encode()
                        )
                    if self._stop_event.wait(self.backoff):
                        return
                    p.restarts += 1
                    p.start()

    def stop(self) -> None:
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout=5)


# -- the system ---------------------------------------------------------------------------------
def shared_server_url() -> str:
    """The PostgreSQL server of the test run (DATABASE_URL, as pytest's settings read it)."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if "postgresql" not in db["ENGINE"]:
        raise HarnessError("the shared-cluster mode needs DATABASE_URL to point at PostgreSQL")
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/postgres"


class System:
    """Maitre as real processes on a private Redis and its own database; see the module docstring."""

    def __init__(
        self,
        *,
        formation: dict[str, int] | None = None,
        private_postgres: bool = False,
        env: dict[str, str] | None = None,
        procfile: Path | None = None,
        template: str | None = None,
        server_url: str | None = None,
        keep_logs: Path | None = None,
    ):
        self.formation = dict(DEFAULT_FORMATION if formation is None else formation)
        self.private_postgres = private_postgres
        self.extra_env = dict(env or {})
        self.procfile = procfile or ROOT / "Procfile"
        self.template = template
        self.server_url = server_url
        self.keep_logs = keep_logs
        self.workdir = Path(tempfile.mkdtemp(prefix="maitre-system-"))
        self.redis: RedisServer | None = None
        self.postgres: SharedPostgres | PostgresCluster | None = None
        self.processes: list[Process] = []
        self.supervisor: Supervisor | None = None
        self.web_url = ""
        self.token = ""
        self.day = date.today() + timedelta(days=7)  # the service day of imported floors and of the load

    # lifecycle
    def __enter__(self) -> System:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        commands = parse_procfile(self.procfile)
        missing = [name for name in self.formation if name not in commands]
        if missing:
            raise HarnessError(
                f"{self.procfile} has no {', '.join(missing)} process (it has {', '.join(commands)})"
            )
        self.redis = RedisServer(self.workdir)
        self.redis.start()
        if self.private_postgres:
            self.postgres = PostgresCluster(self.workdir)
        else:
            name = f"maitre_system_{os.getpid()}_{secrets.token_hex(3)}"
            self.postgres = SharedPostgres(self.server_url or shared_server_url(), name, self.template)
        self.postgres.start()
        if not self.template:
            self.manage("migrate", "--noinput", "-v0", timeout=300)
        self.token = self.manage("shell", "-c", _MAKE_TOKEN).stdout.strip().splitlines()[-1]
        for name, count in self.formation.items():
            for i in range(1, count + 1):
                env = self.env()
                if name == "web":
                    port = free_port(WEB_PORTS)
                    env["PORT"] = str(port)
                    self.web_url = self.web_url or f"http://127.0.0.1:{port}"
                self.processes.append(Process(name, i, commands[name], env, self.workdir / f"{name}.{i}.log"))
        for p in self.processes:
            p.start()
        self.supervisor = Supervisor(self.processes)
        self.supervisor.start()
        if self.web_url:
            wait_for(
                lambda: _http_ok(self.web_url + "/health/"), timeout=90, interval=0.25, what="the web process"
            )

    def stop(self) -> None:
        """Kill everything this system started, also after a failure; never raises for a missing piece."""
        if self.supervisor is not None:
            self.supervisor.stop()
        for p in self.processes:
            p.terminate_groups(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for p in self.processes:
            if p.popen is not None:
                try:
                    p.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
            p.terminate_groups(signal.SIGKILL)
        for p in self.processes:
            if p.popen is not None:
                try:
                    p.popen.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
        for port in {int(p.env["PORT"]) for p in self.processes if "PORT" in p.env}:
            _release_port(port)
        for piece in (self.redis, self.postgres):
            if piece is not None:
                try:
                    piece.close()
                except Exception as exc:  # teardown goes on; the failure is reported, not hidden
                    sys.stderr.write(f"harness teardown: {piece.__class__.__name__}: {exc}\n")
        self.redis = self.postgres = None
        self.processes = []
        if self.keep_logs is not None:
            target = Path(self.keep_logs) / self.workdir.name
            target.mkdir(parents=True, exist_ok=True)
            for log in self.workdir.glob("*.log"):
                shutil.copy(log, target / log.name)
        shutil.rmtree(self.workdir, ignore_errors=True)

    # what tests use
    def env(self) -> dict[str, str]:
        """The processes' environment: production settings pointed at this system's services."""
        assert self.redis is not None and self.postgres is not None
        base = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_", "MAITRE_"))}
        base.update(
            {
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
                "PYTHONUNBUFFERED": "1",
                "DJANGO_SETTINGS_MODULE": "config.settings.prod",
                "SECRET_KEY": _SECRET_KEY,
                "DATABASE_URL": self.postgres.url,
                "REDIS_URL": self.redis.url,
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "SECURE_SSL_REDIRECT": "0",
                "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
                "MAITRE_VAR_DIR": str(self.workdir / "var"),
            }
        )
        base.update(self.extra_env)
        return base

    def manage(self, *args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            raise HarnessError(
                f"manage.py {shlex.join(args)[:200]} exited {done.returncode}:\n{done.stderr[-3000:]}"
            )
        return done

    def import_floor(self, scenario: Path, *, slug: str) -> str:
        """Import the scenario's restaurant, zones, tables and adjacency as `slug`, without its bookings, on
        `self.day` (the API refuses bookings in the past; the samples' own dates may be)."""
        data = json.loads(Path(scenario).read_text(encoding="utf-8"))
        data["name"] = slug
        data["bookings"] = []
        data["restaurant"]["date"] = self.day.isoformat()
        path = self.workdir / f"{slug}.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        self.manage("import_scenario", str(path))
        return slug

    def process(self, name: str, index: int = 1) -> Process:
        return next(p for p in self.processes if p.name == name and p.index == index)

    def sql(self, query: str, params=None) -> list[tuple]:
        assert self.postgres is not None
        with psycopg.connect(self.postgres.url, autocommit=True, connect_timeout=5) as conn:
            return conn.execute(query, params).fetchall()

    def logs(self, tail: int = 12) -> str:
        out = []
        for p in self.processes:
            try:
                lines = p.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                continue
            out.append(f"--- {p.label} (restarts {p.restarts}, exits {p.exits})\n" + "\n".join(lines[-tail:]))
        return "\n".join(out)


def migrated_template(server_url: str, name: str) -> None:
    """Create database `name` on `server_url` and migrate it, to be cloned (CREATE DATABASE ... TEMPLATE)
    by each System: one migration run for a whole test session."""
    admin = _with_db(server_url, "postgres")
    _create_database(admin, name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": _with_db(server_url, name)})
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise HarnessError(f"migrating the template failed:\n{done.stderr[-3000:]}")


def drop_database(server_url: str, name: str) -> None:
    _drop_database(_with_db(server_url, "postgres"), name)


def _http_ok(url: str) -> bool:
    import urllib.request

    with urllib.request.urlopen(url, timeout=2) as response:
        return response.status == 200


_SECRET_KEY = "system-" + secrets.token_urlsafe(48)
_MAKE_TOKEN = (
    "from django.contrib.auth import get_user_model; from rest_framework.authtoken.models import Token; "
    "u, _ = get_user_model().objects.get_or_create(username='system-test', "
    "defaults={'is_superuser': True, 'is_staff': True}); "
    "print(Token.objects.get_or_create(user=u)[0].key)"
)
