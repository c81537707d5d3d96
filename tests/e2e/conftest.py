"""Browser tests: Debian's headless Chromium, driven by Playwright, against the site served
by ``live_server`` and the Stripe sandbox delivering its signed webhooks to it.

Each person in a test has a browser context of their own (their own cookies, so their own
staff session). Every step is saved as a full-page PNG under ``$E2E_ARTIFACTS_DIR``
(default ``var/e2e-artifacts/``), one folder per test, numbered in the order taken; when a
test fails, every page still open is saved too.

Where Chromium or the playwright package is missing these tests skip with the reason; with
BAILFUND_REQUIRE_SERVICES=1 (CI) they fail instead. Playwright never downloads a browser
here: it launches the one at /usr/bin/chromium.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.conftest import _missing
from tests.donations.conftest import live_sandbox, sandbox  # noqa: F401  (fixtures)

CHROMIUM = Path("/usr/bin/chromium")
# axe-core from npm (`.ci/run` installs it: npm install --prefix var/axe axe-core), or
# wherever AXE_CORE_JS points.
AXE_CORE_JS = Path(
    os.environ.get("AXE_CORE_JS")
    or Path(__file__).resolve().parents[2] / "var/axe/node_modules/axe-core/axe.min.js"
)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
TEST_CARD = "4242 4242 4242 4242"
# Every wait in a browser test is bounded: a page of this site answers in well under this.
TIMEOUT_MS = 15_000


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report on the test, so fixtures can tell a failure."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="package")
def browser():
    """One Chromium for all browser tests; each person gets a context of their own."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("needs the playwright package: pip install -r requirements-dev.txt")
    if not CHROMIUM.exists():
        _missing(f"needs Chromium at {CHROMIUM}: apt-get install chromium (CI does)")
    with pytest.MonkeyPatch.context() as patch:
        # Between its calls, Playwright's sync API leaves its event loop marked as running
        # in this thread, and Django then refuses the test's own (synchronous) database
        # calls. Allowed only while the browser runs, so only these tests are affected.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            yield chromium
            chromium.close()


class Screenshots:
    """Full-page PNGs of each step, numbered in the order taken."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)

    def take(self, page, step: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        page.screenshot(path=path, full_page=True)
        return path


@pytest.fixture
def screenshots(request) -> Screenshots:
    base = os.environ.get("E2E_ARTIFACTS_DIR") or ROOT / "var" / "e2e-artifacts"
    name = re.sub(r"[^\w.-]+", "-", request.node.name)
    return Screenshots(Path(base) / request.node.module.__name__.rsplit(".", 1)[-1] / name)


@pytest.fixture
def site(live_sandbox, settings):  # noqa: F811  (the fixture imported above)
    """The live site with the sandbox standing in for Stripe, configured as ``make run``
    configures it: the donation form's redirect to the sandbox's checkout page is allowed
    by the content security policy (the policy lists Stripe's origin, computed at start-up
    from STRIPE_API_BASE, which the sandbox fixture sets only afterwards)."""
    policy = {**settings.CONTENT_SECURITY_POLICY}
    directives = {**policy["DIRECTIVES"]}
    directives["form-action"] = [*directives["form-action"], live_sandbox.url]
    policy["DIRECTIVES"] = directives
    settings.CONTENT_SECURITY_POLICY = policy
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    # Staff log in through the page; a fast hasher keeps the password step quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return live_sandbox


class Problems:
    """Script errors and console errors (content security policy violations among them)
    seen on the site's own pages; a browser test ends by asserting there were none."""

    def __init__(self, origin: str):
        self.origin = origin
        self.seen: list[str] = []

    def watch(self, page) -> None:
        page.on("pageerror", lambda error: self._note(page, f"script error: {error}"))
        page.on("console", lambda message: self._console(page, message))

    def _console(self, page, message) -> None:
        source = message.location.get("url", "")
        # Browsers ask every site for /favicon.ico on their own; this one has none.
        if message.type == "error" and not source.endswith("/favicon.ico"):
            self._note(page, f"console: {message.text} ({source})")

    def _note(self, page, text: str) -> None:
        if page.url.startswith(self.origin):
            self.seen.append(f"{page.url}: {text}")


@pytest.fixture
def people(browser, site, live_server, screenshots, request):
    """people(locale="en-US") → a new person at a browser of their own (a Playwright page
    whose relative URLs go to the live site). Open pages are saved when the test fails."""
    problems = Problems(live_server.url)
    contexts = []

    def new_person(locale: str = "en-US"):
        context = browser.new_context(
            base_url=live_server.url, locale=locale, viewport={"width": 1100, "height": 800}
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        problems.watch(page)
        return page

    new_person.problems = problems
    yield new_person
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        for number, context in enumerate(contexts, 1):
            for page in context.pages:
                # A page that cannot be saved (a crashed tab) must not hide the failure.
                with contextlib.suppress(Exception):
                    screenshots.take(page, f"failed-person-{number}")
    for context in contexts:
        context.close()


def expect(actual, message: str | None = None):
    """Playwright's retrying assertions (imported late: without the package, these tests
    skip or fail with the reason instead of breaking collection)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(actual, message)


@pytest.fixture
def log_in(totp_code, screenshots):
    """log_in(page, user, next_url=…, who=…): the staff login through the pages, the password
    then the code the user's authenticator app shows now; ``who`` names the screenshots."""

    def do(page, user, *, next_url: str, who: str) -> None:
        page.goto(f"/staff/login/?next={next_url}")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        screenshots.take(page, f"{who}-login-password")
        page.locator("#login").click()
        expect(page).to_have_url(re.compile(r"/staff/login/verify/"))
        page.get_by_label("Code from your authenticator app").fill(totp_code(user))
        screenshots.take(page, f"{who}-login-code")
        page.locator("#verify").click()
        expect(page).to_have_url(re.compile(re.escape(next_url) + "$"))

    return do


def give(page, screenshots, *, amount: str, monthly: bool = False, email="ana@example.org"):
    """Fill in the donation form, pay on the checkout page, land on the thank-you page."""
    page.goto("/donate/")
    page.get_by_label("Monthly" if monthly else "One time", exact=True).check()
    page.get_by_label(amount, exact=True).check()
    page.get_by_label("Email for your receipt").fill(email)
    screenshots.take(page, "donate-form")
    page.locator("#give").click()

    expect(page.locator("#checkout-form")).to_be_visible()
    expect(page.locator("#total")).to_have_text(re.compile(re.escape(amount.lstrip("$"))))
    expect(page.locator("#email")).to_have_value(email)
    page.locator("#card-number").fill(TEST_CARD)
    page.locator("#name").fill("Ana Donor")
    screenshots.take(page, "checkout")
    page.locator("#pay").click()

    expect(page).to_have_url(re.compile(r"/donate/thanks/[0-9a-f-]+/"))


def axe_violations(page) -> list[str]:
    """What axe-core (the engine of browsers' accessibility checkers) finds on the page
    as it is now, one line per element: rule, impact, element."""
    if not AXE_CORE_JS.exists():
        _missing(f"needs axe-core at {AXE_CORE_JS}: npm install --prefix var/axe axe-core")
    # Evaluated through the browser's debugging protocol rather than added as a <script>:
    # the site's content security policy rightly refuses inline scripts.
    page.evaluate(AXE_CORE_JS.read_text(encoding="utf-8"))
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        f"{v['id']} ({v['impact']}): {node['target']} {node['html'][:100]}"
        for v in violations
        for node in v["nodes"]
    ]
