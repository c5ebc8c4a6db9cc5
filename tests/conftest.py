"""Shared fixtures: real services (Redis + Celery worker, SMTP, Chromium), reused by every app.

A test that needs a service this machine lacks is skipped with the reason; under CI=true (or
IDEI_REQUIRE_SERVICES=1) it fails instead, so that nothing is silently left out in CI.

`make test` runs the suite in parallel (pytest-xdist, `-n 3 --dist loadgroup`): several
pytest processes at once on one machine, next to other test runs and maybe a running site, on
the same PostgreSQL server and the same Redis database. A test is safe there when it follows
these rules (`make test TEST_WORKERS=0` runs everything in one process, to tell a parallel
problem from a plain one):

1. Database: use the test database pytest-django made for this process (its name ends in
   `_gw0`, `_gw1`...: read it from `connection.settings_dict`, never from DATABASE_URL, which
   names the developer's own database). A process of the test's own (celery, manage.py) gets
   that name in its DATABASE_URL. A cluster to stop or restart is a private one
   (tests/outbox/test_postgres_restart.py), never the shared server.
2. Ports: never a fixed one. `free_port()` for a server the test starts, port 0 where the
   server picks (live_server does), a private redis-server from `private_redis`/`PrivateRedis`.
3. Redis: through the Django cache, whose keys are under this process's own prefix
   (`TEST_CACHE_PREFIX`, tests/cache.py), or under a uuid of the test's own, deleted with
   `delete_keys_under`. Never FLUSHDB/FLUSHALL, never a fixed key name.
4. Celery: the `celery_worker` fixture (a queue of the test's own), or worker processes of the
   test's own consuming a queue named with a uuid or a `private_redis`. Never the default
   `celery` queue of the shared REDIS_URL: another process's worker would take those tasks.
5. Files: `tmp_path` (or a `tempfile.mkdtemp` the test removes); MEDIA_ROOT and
   PRIVATE_FILES_ROOT point at a temporary folder of this process. Nothing written into the
   checkout or under a fixed name in /tmp.
6. Order: a test runs alone or next to any other, and the tests of one module may run in
   different processes: no test relies on another's rows, keys, files or module state.
7. Time: wait by polling a condition with a deadline (`SmtpCapture.wait_for`, `wait_until`),
   never by a fixed sleep that assumes a quiet machine; no assertion on wall-clock time
   (benchmarks live in bench/).
8. A test that cannot share the machine (it kills or restarts processes, runs worker pools on
   thousands of messages, or counts timed runs of beat) is marked `@pytest.mark.serial`: those
   run one after another in a single xdist process, while the others go on elsewhere.
9. Passwords are hashed with a fast hasher in tests (FAST_PASSWORD_HASHERS); a test about
   password storage is marked `@pytest.mark.real_password_hashers`.
"""

import email
import email.policy
import functools
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import hypothesis
import pytest
from django.conf import settings

from idei.celery import app as celery_app

# live_server tests drive a browser from the test thread and use the ORM there too.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
ARTIFACTS = ROOT / "test-artifacts"
REQUIRE_SERVICES = os.environ.get("CI") == "true" or os.environ.get("IDEI_REQUIRE_SERVICES") == "1"


def require(condition, reason: str):
    """Skip locally when a service is missing; fail in CI, where every test must run."""
    if condition:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (CI=true: every service must be present)", pytrace=False)
    pytest.skip(reason)


def redis_available() -> bool:
    if not settings.REDIS_URL:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


# -- Hypothesis (the fuzz tests: tests/hostile.py) ------------------------------------------

# The same examples on every run (derandomized, no example database): a failure in CI is a
# failure on a laptop, and the fuzz suite stays within its time. HYPOTHESIS_PROFILE=explore
# draws new, more numerous examples for a session of hunting; a failure it finds prints the
# example to pin with @example.
hypothesis.settings.register_profile(
    "idei",
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,  # a shared 2-core machine: time is not the property under test
    suppress_health_check=[
        # The database and client fixtures are shared by a test's examples on purpose.
        hypothesis.HealthCheck.function_scoped_fixture,
        hypothesis.HealthCheck.too_slow,
        hypothesis.HealthCheck.data_too_large,
    ],
    print_blob=True,
)
hypothesis.settings.register_profile(
    "explore", parent=hypothesis.settings.get_profile("idei"), max_examples=300, derandomize=False
)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "idei"))


# -- The test run's own cache keys -----------------------------------------------------------

# On Redis, the cache of a test run keeps its keys under this prefix, and cache.clear() deletes
# only them (tests/cache.py): the database in REDIS_URL may be a running site's.
TEST_CACHE_PREFIX = f"idei-test-{os.getpid()}"


# A fast hasher for the whole run: Argon2 as settings.py has it (100 MB, 8 lanes) took 1.5 s per
# password on a busy 2-core machine, and factories and sign-ins hash hundreds of them. Tests
# about password storage itself are marked `real_password_hashers` and get settings.py's list.
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
REAL_PASSWORD_HASHERS = list(settings.PASSWORD_HASHERS)


# Files the code under test writes (uploads, petitions) go to a folder of this process, not
# into the checkout where another test process writes too; removed at the end of the run.
TEST_FILES_ROOT = Path(tempfile.mkdtemp(prefix=f"idei-test-files-{os.getpid()}-"))


def pytest_configure(config):
    from django.test.utils import override_settings

    # Kept for the whole run, like the cache below.
    override_settings(
        PASSWORD_HASHERS=FAST_PASSWORD_HASHERS,
        MEDIA_ROOT=TEST_FILES_ROOT / "media",
        PRIVATE_FILES_ROOT=TEST_FILES_ROOT / "private",
    ).enable()
    if settings.REDIS_URL:
        default = settings.CACHES["default"]
        # Kept for the whole run; override_settings also resets the cache handlers.
        override_settings(
            CACHES={
                **settings.CACHES,
                "default": {
                    **default,
                    "BACKEND": "tests.cache.PrefixOnlyRedisCache",
                    "KEY_PREFIX": TEST_CACHE_PREFIX,
                },
            }
        ).enable()


def pytest_unconfigure(config):
    shutil.rmtree(TEST_FILES_ROOT, ignore_errors=True)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups (--dist loadgroup)
def pytest_collection_modifyitems(config, items):
    """`serial` tests share one xdist group: one process runs them, one after another."""
    for item in items:
        if item.get_closest_marker("serial") is not None:
            item.add_marker(pytest.mark.xdist_group("serial"))


@pytest.fixture(autouse=True)
def _password_hashers(request):
    """`@pytest.mark.real_password_hashers`: the test hashes with settings.py's hashers."""
    if request.node.get_closest_marker("real_password_hashers") is None:
        yield
        return
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=REAL_PASSWORD_HASHERS):
        yield


@pytest.fixture(autouse=True, scope="session")
def _test_cache_emptied_at_the_end():
    yield
    if redis_available():
        from django.core.cache import caches

        caches["default"].clear()


def pytest_report_header(config):
    database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return [
        f"IDEI services: database={database}, redis={'yes' if redis_available() else 'no'}, "
        f"chromium={'yes' if shutil.which('chromium') else 'no'}, "
        f"axe-core={'yes' if AXE_SCRIPT.exists() else 'no'}, require_all={REQUIRE_SERVICES}",
        f"IDEI cache key prefix: {settings.CACHES['default'].get('KEY_PREFIX') or '(none)'}",
        "IDEI fonts: "
        + ", ".join(f"{lang}={'yes' if font_installed(lang) else 'no'}" for lang in PDF_FONTS),
    ]


# -- Fonts ---------------------------------------------------------------------------------

# What the PDFs need to print a script (templates/letters/pdf/_fonts.css): a word that the
# font family's name holds, and the Debian package that installs it (.ci/test-setup does).
PDF_FONTS = {
    "ru": ("Noto Sans", "fonts-noto-core"),
    "zh": ("CJK", "fonts-noto-cjk"),
    "ar": ("Arabic", "fonts-noto-core"),
}


@functools.cache
def font_installed(lang: str) -> bool:
    """Whether fontconfig knows a font for this language whose family is the one PDFs use."""
    family_word = PDF_FONTS[lang][0]
    try:
        families = subprocess.run(
            ["fc-list", f":lang={lang}", "family"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return family_word in families


def pytest_runtest_setup(item):
    """`@pytest.mark.needs_font("zh")`: skipped without the font (fails under CI=true)."""
    for mark in item.iter_markers(name="needs_font"):
        for lang in mark.args:
            package = PDF_FONTS[lang][1]
            require(
                font_installed(lang),
                f"needs a {lang} font: apt-get install {package} (or run make test as root)",
            )


@pytest.fixture(autouse=True)
def _language_reset_after_each_test():
    """LocaleMiddleware activates a request's language in the thread and never deactivates
    it: after a test client's request in Chinese, the next test in this process would read
    lazy strings in Chinese. Each test starts from the default language."""
    yield
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _eager_celery_by_default():
    """Tasks run inline unless a test asks for the real worker (see `celery_worker`)."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def _unpaced_outbox():
    """Tests send many letters to one domain in a few seconds: pacing (idei/outbox/pacing.py)
    is tested on its own, with its own limit. Not through the `settings` fixture, whose
    teardown order other fixtures rely on."""
    from django.test.utils import override_settings

    with override_settings(OUTBOX_DOMAIN_HOURLY_LIMIT=10_000_000):
        yield


@pytest.fixture(autouse=True)
def _fresh_page_cache():
    """Each test starts with no cached page nor block-list: the test database reuses slugs and
    keys, and rolling a test back sends no signal (nor do on-commit hooks run in it)."""
    from idei import page_cache
    from letters.signing import abuse, watchlist

    page_cache.invalidate()
    abuse.forget_blocked_domains()
    watchlist.forget_blocked()


class StoppedClock:
    """A clock that stands still until the test moves it: the clock of the form tokens and the
    rate limits during a test."""

    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def set(self, now: float) -> None:
        self.now = now


@pytest.fixture
def abuse_clock(monkeypatch):
    """The clock of the rate limits and form tokens (letters.signing.abuse), stopped at the time
    the test starts: a burst never crosses a window boundary unless the test moves it there."""
    from idei import rate_limits
    from letters.signing import abuse

    clock = StoppedClock(time.time())
    monkeypatch.setattr(abuse, "clock", clock)
    monkeypatch.setattr(rate_limits, "clock", clock)
    return clock


@pytest.fixture
def demo_data():
    """The same demo data a newcomer sees after `make run`."""
    import io

    from django.core.management import call_command

    call_command("seed_demo", stdout=io.StringIO())


@pytest.fixture
def postgres():
    require(
        settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        "needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/idei",
    )


@pytest.fixture
def redis_broker():
    require(redis_available(), "needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0")
    return settings.REDIS_URL


@pytest.fixture
def celery_worker(redis_broker, transactional_db):
    """A real Celery worker (thread, solo pool) consuming from the real Redis broker.

    Each test gets its own queue, so parallel runs on one Redis never steal each other's tasks.
    """
    from celery.contrib.testing.worker import start_worker

    queue = f"test-{uuid.uuid4().hex[:12]}"
    previous_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    celery_app.conf.broker_url = redis_broker
    celery_app.conf.result_backend = redis_broker
    try:
        with start_worker(
            celery_app,
            pool="solo",
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=30,
            queues=[queue],
        ) as worker:
            yield worker
    except RuntimeError:
        # The worker thread did not stop in time: this test errors. Celery leaves its
        # "terminate" flag set, and every later worker would stop before it is ready and hang
        # the run; clear it (the old thread only ever consumes this test's own queue).
        from celery.worker import state

        state.should_terminate = None
        raise
    finally:
        celery_app.conf.task_default_queue = previous_queue
        celery_app.conf.task_always_eager = True
        _forget_queue(redis_broker, queue)


def _forget_queue(broker_url: str, queue: str) -> None:
    """Delete a test queue's own keys (kombu's bindings), and nothing else: the broker's database
    may be a running site's. Task results expire by themselves."""
    import redis

    from tests.cache import delete_keys_under

    client = redis.Redis.from_url(broker_url, socket_connect_timeout=2)
    try:
        for key_prefix in ("_kombu.binding.", "_kombu.binding_permanent.", ""):
            delete_keys_under(client, key_prefix + queue)
    except redis.RedisError:
        pass  # a test that stopped Redis: nothing to clean


class SmtpCapture:
    """Messages received by the loopback SMTP server, parsed."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.envelopes.append(envelope)
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} messages, got {len(self.messages)}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A throw-away redis-server of one test on a free port, without persistence: stopping it
    loses every task, and nobody else's queue or key is on it."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        require(shutil.which("redis-server"), "needs redis-server (apt-get install redis-server)")
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--daemonize", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self.ping():
            # Exited: the port was taken in the meantime; an answer there would not be ours.
            assert self.process.poll() is None, f"redis-server could not start on {self.port}"
            assert time.monotonic() < deadline, "redis-server did not answer within 10 s"
            time.sleep(0.05)

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def queue_length(self, queue: str) -> int:
        import redis

        return redis.Redis(port=self.port).llen(queue)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None


@pytest.fixture
def private_redis():
    """A started PrivateRedis, stopped after the test."""
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback; Django sends to it over SMTP."""
    from aiosmtpd.controller import Controller

    capture = SmtpCapture("127.0.0.1", free_port())
    controller = Controller(capture, hostname=capture.host, port=capture.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = capture.host
    settings.EMAIL_PORT = capture.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield capture
    finally:
        controller.stop()


# -- Browser -------------------------------------------------------------------------------

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    chromium = shutil.which("chromium")
    require(chromium, "needs Debian's chromium (apt-get install chromium)")
    require(AXE_SCRIPT.exists(), "needs axe-core from npm (npm install)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


class AccessibilityAudit:
    """Runs axe-core (WCAG 2.1 A and AA rules) on every page load of a browser page."""

    TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

    def __init__(self, page):
        self.page = page
        self.audited: list[str] = []
        self.violations: list[str] = []
        # Navigations of the main frame started so far: an audit during which the test moved
        # on measured a page being left (its results are dropped; the next page has its own).
        self.navigations = 0
        page.on("request", self._count_navigation)

    def _count_navigation(self, request):
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self.navigations += 1

    def run(self):
        from playwright.sync_api import Error

        navigations = self.navigations
        try:
            results = self._axe()
        except Error:
            if self.navigations == navigations:
                raise
            return  # the page went away mid-audit (its context destroyed)
        if results is None or self.navigations != navigations:
            return
        page = self.page
        self.audited.append(page.url)
        for violation in results["violations"]:
            targets = [node["target"] for node in violation["nodes"]][:5]
            # axe's own account of the first node (for colour contrast: both colours, ratio).
            summary = violation["nodes"][0].get("failureSummary", "").replace("\n", " ")
            self.violations.append(
                f"{page.url}: {violation['id']} ({violation['impact']}): "
                f"{violation['help']} at {targets}: {summary}"
            )

    def _axe(self) -> dict | None:
        """axe-core's results for the page as it is now (None: no web page to audit)."""
        page = self.page
        if page.is_closed() or not page.url.startswith("http"):
            return None
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE_SCRIPT))
        # Load handlers interleave with the test's own calls, so two audits can overlap:
        # queue them inside the page, as axe refuses to run twice at once.
        return page.evaluate(
            """async tags => {
                while (window.__ideiAxeBusy) { await new Promise(r => setTimeout(r, 25)); }
                window.__ideiAxeBusy = true;
                // Colours are checked as they end, never halfway through a button's 0.15 s
                // hover transition.
                if (!document.getElementById('idei-axe-still')) {
                    const still = document.createElement('style');
                    still.id = 'idei-axe-still';
                    still.textContent = '*, *::before, *::after ' +
                        '{ transition: none !important; animation: none !important; }';
                    document.head.appendChild(still);
                }
                try { return await axe.run(document, {runOnly: {type: 'tag', values: tags}}); }
                finally { window.__ideiAxeBusy = false; }
            }""",
            self.TAGS,
        )


def html_errors(pages: dict[str, str]) -> list[str]:
    """The Nu HTML checker's errors on each page (name -> markup), in one run of the checker.

    It refuses localhost URLs, so the markup is written to files; one Java start for them all.
    """
    require(
        shutil.which("java"),
        "needs Java for the Nu HTML checker (apt-get install openjdk-17-jre-headless)",
    )
    require(VNU_JAR.exists(), "needs vnu-jar from npm (npm install)")
    with tempfile.TemporaryDirectory() as folder:
        names = {}
        for number, (name, markup) in enumerate(pages.items()):
            path = Path(folder) / f"page{number}.html"
            path.write_text(markup, encoding="utf-8")
            names[str(path)] = name
        result = subprocess.run(
            ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "gnu", *names],
            capture_output=True,
            text=True,
            timeout=900,
        )
    errors = []
    for line in (result.stderr + result.stdout).splitlines():
        for path, name in names.items():
            line = line.replace(f'"file:{path}"', name)
        if line.strip():
            errors.append(line)
    return errors


@pytest.fixture
def browser_context_args():
    return {"viewport": {"width": 1280, "height": 900}, "locale": "en-GB"}


@pytest.fixture
def page(browser, live_server, browser_context_args):
    """A Chromium page on the live server; every page it loads must pass axe-core."""
    # axe is injected as a script, which our strict CSP would (rightly) refuse.
    context = browser.new_context(base_url=live_server.url, bypass_csp=True, **browser_context_args)
    context.set_default_timeout(15_000)
    page = context.new_page()
    audit = AccessibilityAudit(page)
    page.on("load", lambda _: audit.run())
    page.accessibility_audit = audit
    yield page
    audit.run()  # the final state of the page, after the last interaction
    context.close()
    assert audit.audited, "axe-core audited no page"
    assert not audit.violations, "WCAG 2.1 AA violations:\n" + "\n".join(audit.violations)


@pytest.fixture
def artifacts_dir():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
