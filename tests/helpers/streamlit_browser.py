"""The app in a real browser: a Streamlit server, Debian's Chromium with a fake microphone,
and page objects for the end-to-end tests.

Page objects find things the way a user does (by label, role and visible name) or by
Streamlit's own ``data-testid`` attributes, never by generated CSS classes, so a page
that is rebuilt keeps working as long as its labels stay. Pitfalls found on the way are in
the docstring of tests/test_e2e_browser.py.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import soundfile as sf

from tests.helpers.ports import free_port
from trainer.config import PROJECT_ROOT

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Headless (Playwright adds --headless) as root in a container. The background-networking
# switches keep Chromium from calling home (refused here; tests must not touch the network).
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
    "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-default-apps",
]  # fmt: skip
MICROPHONE_FLAGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
VIEWPORT = {"width": 1280, "height": 900}
LEAD_IN_SECONDS = 0.5  # silence before the speech: the recorder needs a moment to start


def find_chromium() -> str | None:
    """``$TRAINER_CHROMIUM`` or the first Chromium/Chrome on PATH."""
    configured = os.environ.get("TRAINER_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else shutil.which(configured)
    return next((found for name in CHROMIUM_CANDIDATES if (found := shutil.which(name))), None)


class StreamlitServer:
    """``streamlit run server.py`` (app.py with the session routes) in a subprocess on a
    free port of 127.0.0.1.

    ``env`` is added to this process's environment (the data folder, model paths). Binding
    to 127.0.0.1 also stops Streamlit from asking the internet for the machine's address.
    """

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None, app: str = "server.py"):
        self.data_dir = Path(data_dir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.data_dir / "streamlit.log"
        self.env = {**os.environ, "TRAINER_DATA_DIR": str(self.data_dir), **(env or {})}
        self.app = app
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "streamlit", "run", self.app,
            "--server.headless", "true", "--server.port", str(self.port),
            "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
        ]  # fmt: skip

    def start(self, timeout: float = 90) -> StreamlitServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command(), cwd=PROJECT_ROOT, env=self.env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.process.returncode}:\n{self.log_tail()}")
            if self.healthy():
                return self
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"streamlit did not answer {self.url}/_stcore/health in {timeout:.0f} s:\n{self.log_tail()}")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:  # noqa: S310
                return response.status == 200
        except OSError:
            return False

    def stop(self, timeout: float = 15) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def microphone_wav(speech: Path, target: Path, lead_in: float = LEAD_IN_SECONDS) -> tuple[Path, float]:
    """A WAV for Chromium's fake microphone: ``lead_in`` seconds of silence, then ``speech``,
    as 16-bit PCM mono at the speech's own rate. Returns (path, duration in seconds)."""
    samples, rate = sf.read(speech, dtype="int16", always_2d=True)
    mono = samples[:, 0]
    padded = np.concatenate([np.zeros(int(rate * lead_in), dtype=np.int16), mono])
    target.parent.mkdir(parents=True, exist_ok=True)
    sf.write(target, padded, rate, subtype="PCM_16")
    return target, padded.size / rate


def launch_chromium(playwright, executable: str, microphone: Path | None = None, user_data_dir: Path | None = None):
    """A persistent Chromium context (fresh profile) with the fake microphone playing
    ``microphone`` once from the moment a page opens it (``%noloop``), then silence."""
    args = list(CHROMIUM_FLAGS)
    if microphone is not None:
        args += MICROPHONE_FLAGS + [f"--use-file-for-fake-audio-capture={microphone}%noloop"]
    profile = user_data_dir or Path(tempfile.mkdtemp(prefix="chromium-profile-"))
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=executable, args=args, headless=True, viewport=VIEWPORT
    )
    context.add_init_script(RUN_COUNTER_SCRIPT)  # before any page of the app opens
    return context


def close_with_screenshots(contexts, folder: Path) -> None:
    """Close the browsers a test opened, with a screenshot of each page left open
    (``last-page-N-M.png`` in ``folder``) to see what a failure looked like."""
    for n, context in enumerate(contexts):
        for m, page in enumerate(context.pages):
            with contextlib.suppress(Exception):  # a crashed page must not hide the test's error
                page.screenshot(path=str(folder / f"last-page-{n}-{m}.png"), full_page=True)
        context.close()


def keep_offline(context, allowed_origin: str) -> list[str]:
    """Abort every request that does not go to the app; returns the list of what was blocked."""
    blocked: list[str] = []

    def route(route):
        url = route.request.url
        if url.startswith(allowed_origin) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", route)
    return blocked


# -- page objects -------------------------------------------------------------------------

# Counts the script runs the server reports finished to this page: the ForwardMsgs with a
# ``script_finished`` field (number 6), except "finished early for a rerun" (2), which the
# rerun's own message follows. Read off the WebSocket, not the DOM: a quick run can go
# from "running" back to "notRunning" in one React render, and a run asked for during
# another continues it without a new "running". Installed before the page's own scripts
# (launch_chromium adds it to every context).
RUN_COUNTER_SCRIPT = """(() => {
  if (window.__trainerRuns) return;
  const runs = (window.__trainerRuns = {finished: 0});
  const SCRIPT_FINISHED = 6, FINISHED_EARLY_FOR_RERUN = 2;
  function finishedRun(buffer) {  // a ForwardMsg's top-level fields, read as protobuf
    const bytes = new Uint8Array(buffer);
    let i = 0;
    const varint = () => {
      let value = 0, scale = 1, byte;
      do { byte = bytes[i++]; value += (byte & 0x7f) * scale; scale *= 128; } while (byte & 0x80 && i < bytes.length);
      return value;
    };
    while (i < bytes.length) {
      const key = varint(), field = Math.floor(key / 8), wire = key % 8;
      if (field === SCRIPT_FINISHED && wire === 0) return varint() !== FINISHED_EARLY_FOR_RERUN;
      if (wire === 0) varint();
      else if (wire === 1) i += 8;
      else if (wire === 2) { const length = varint(); i += length; }
      else if (wire === 5) i += 4;
      else return false;
    }
    return false;
  }
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        if (event.data instanceof ArrayBuffer && finishedRun(event.data)) runs.finished += 1;
      });
    }
  };
})();"""


class StreamlitPage:
    """Any page of the app: navigation, waiting for reruns, widgets by label, screenshots."""

    def __init__(self, page, base_url: str, timeout_ms: float = 60_000):
        self.page = page
        self.base_url = base_url.rstrip("/")
        self.timeout_ms = timeout_ms

    def open(self, path: str = "") -> StreamlitPage:
        self.page.goto(f"{self.base_url}/{path.lstrip('/')}")
        self.page.get_by_test_id("stApp").wait_for(timeout=self.timeout_ms)
        self.wait_until_idle()
        return self

    def go_to(self, title: str) -> StreamlitPage:
        """Follow the sidebar link with this page title, as a user does, and wait until the
        browser is at that page's address (a click during a rerun of the page before can
        be lost: then it is clicked again) and its script has run."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

        link = self.page.get_by_test_id("stSidebarNav").get_by_role("link", name=title)
        target = urlparse(link.get_attribute("href") or "").path.rstrip("/")

        def arrived(url: str) -> bool:
            return urlparse(url).path.rstrip("/") == target

        if arrived(self.page.url):
            self.wait_until_idle()
            return self
        runs = self.runs_finished()
        for _ in range(3):
            link.click()
            try:
                self.page.wait_for_url(arrived, timeout=self.timeout_ms / 3)
                break
            except PlaywrightTimeoutError:
                continue
        self.wait_for_rerun(runs)
        return self

    def runs_finished(self) -> int:
        """How many script runs the server has reported finished to this page since it was
        loaded (``RUN_COUNTER_SCRIPT``). Read it before an action, then ``wait_for_rerun(runs)``
        waits for the run the action caused rather than for a fixed time. Read once the page
        is not running, so that a run still going does not pass for the action's."""
        self.page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(
            timeout=self.timeout_ms
        )
        count = self.page.evaluate("() => window.__trainerRuns && window.__trainerRuns.finished")
        if count is None:
            raise RuntimeError("the run counter is missing: open pages in a context made by launch_chromium")
        return count

    def wait_for_rerun(self, after: int, timeout_ms: float | None = None) -> None:
        """Until a script run has finished since ``runs_finished()`` returned ``after``.
        A widget value set from the browser (a recording uploaded, say) reaches the server
        some time after the click: ``wait_until_idle`` alone may look before that run starts."""
        timeout = timeout_ms or self.timeout_ms
        self.page.wait_for_function("n => window.__trainerRuns.finished > n", arg=after, timeout=timeout)
        self.wait_until_idle(timeout)

    def wait_for_rerun_unless_in_form(self, widget, after: int) -> None:
        """After changing ``widget``: the page runs again, unless the widget is inside an
        st.form (a form sends its values only when submitted)."""
        if widget.locator("xpath=ancestor::*[@data-testid='stForm']").count():
            return
        self.wait_for_rerun(after)

    def wait_until_idle(self, timeout_ms: float | None = None) -> None:
        """Until the script run that the last action started has finished and no element is
        stale. Streamlit reruns the whole page after every widget change; an element clicked
        during a rerun can be replaced under the pointer (the click then does nothing)."""
        from playwright.sync_api import expect

        timeout = timeout_ms or self.timeout_ms
        self.page.wait_for_timeout(250)  # the rerun message needs a moment to change the state
        self.page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(timeout=timeout)
        expect(self.page.locator("[data-stale='true']")).to_have_count(0, timeout=timeout)

    def title(self) -> str:
        return self.page.get_by_role("heading", level=1).first.inner_text()

    def select(self, label: str, option: str | re.Pattern) -> None:
        """Pick an option of the select box labelled ``label``."""
        from playwright.sync_api import expect

        box = self.page.get_by_role("combobox", name=label, exact=True)
        current = box.input_value()
        if option == current if isinstance(option, str) else option.search(current):
            return  # picking it again would not run the page
        from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

        runs = self.runs_finished()
        choice = self.page.get_by_role("option", name=option, exact=isinstance(option, str)).first
        for _ in range(3):  # a click that lands while the box is being replaced opens nothing
            box.click()
            try:
                choice.wait_for(timeout=self.timeout_ms / 3)
                break
            except PlaywrightTimeoutError:
                continue
        choice.click()
        expect(box).to_have_value(option, timeout=self.timeout_ms)
        self.wait_for_rerun_unless_in_form(box, runs)

    def click(self, name: str) -> None:
        """Click the button named ``name`` and wait for the page run it starts."""
        runs = self.runs_finished()
        self.button(name).click()
        self.wait_for_rerun(runs)

    def multiselect(self, label: str, option: str | re.Pattern, search: str | None = None) -> None:
        """Add an option to the multiselect labelled ``label``: type ``search`` (default: the
        option's text) to filter the list, then pick the option."""
        box = self.page.get_by_test_id("stMultiSelect").filter(
            has=self.page.get_by_test_id("stWidgetLabel").filter(has_text=label)
        )
        field = box.get_by_role("combobox")
        runs = self.runs_finished()
        field.click()
        field.fill(search if search is not None else str(option))
        self.page.get_by_role("option", name=option, exact=isinstance(option, str)).first.click()
        field.press("Escape")
        self.wait_for_rerun_unless_in_form(field, runs)

    def fill(self, label: str, text: str) -> None:
        """Type into the text box or text area labelled ``label`` (replacing what is there)."""
        self.page.get_by_role("textbox", name=label, exact=True).fill(text)

    def tab(self, name: str) -> None:
        self.page.get_by_role("tab", name=name, exact=True).click()
        self.wait_until_idle()

    def sign_in(self, login: str, password: str) -> StreamlitPage:
        """Fill the sign-in form on this page ("Login", "Password", button "Sign in") as a
        user does and wait until the sidebar says who is signed in."""
        self.page.get_by_role("textbox", name="Login", exact=True).fill(login)
        self.page.get_by_role("textbox", name="Password", exact=True).fill(password)
        self.button("Sign in").click()
        self.signed_in_caption().wait_for(timeout=self.timeout_ms)
        self.wait_until_idle()
        return self

    def signed_in_caption(self):
        return self.page.get_by_test_id("stSidebar").get_by_text("Signed in as")

    def table(self, index: int = 0) -> list[dict[str, str]]:
        """The rows of the ``index``-th st.dataframe on the page as {column: text}. The grid
        draws on a canvas; its accessible table (the rows in view) holds the same text."""
        grid = self.page.get_by_test_id("stDataFrame").nth(index).locator("table").first
        grid.wait_for(state="attached", timeout=self.timeout_ms)
        columns = [c.strip() for c in grid.locator("thead th").all_inner_texts()]
        return [
            dict(zip(columns, [c.strip() for c in row.locator("td").all_inner_texts()]))
            for row in grid.locator("tbody tr").all()
        ]

    def download(self, button: str, reruns: bool = True) -> tuple[str, bytes]:
        """Click the download button named ``button``; (suggested file name, content). A
        download button runs the page again (st.download_button's default ``on_click``):
        that run is waited for unless ``reruns`` is False."""
        runs = self.runs_finished()
        with self.page.expect_download(timeout=self.timeout_ms) as started:
            self.button(button).click()
        download = started.value
        content = Path(download.path()).read_bytes()
        if reruns:
            self.wait_for_rerun(runs)
        return download.suggested_filename, content

    def button(self, name: str):
        return self.page.get_by_role("button", name=name, exact=True)

    def exceptions(self) -> list[str]:
        """Text of the exception boxes Streamlit shows for uncaught errors."""
        return self.page.get_by_test_id("stException").all_inner_texts()

    def errors(self) -> list[str]:
        return self.page.get_by_test_id("stAlertContentError").all_inner_texts()

    def metrics(self) -> dict[str, str]:
        values = {}
        for metric in self.page.get_by_test_id("stMetric").all():
            label = metric.get_by_test_id("stMetricLabel").inner_text().strip()
            values[label] = metric.get_by_test_id("stMetricValue").inner_text().strip()
        return values

    def expander_labels(self) -> list[str]:
        """Labels of the expanders (and st.status boxes), without their icons' ligature names."""
        summaries = self.page.get_by_test_id("stExpander").locator("summary")
        return [s.inner_text().strip() for s in summaries.get_by_test_id("stMarkdownContainer").all()]

    def text_after(self, heading: str) -> str:
        """The text of the element right after the one showing ``heading`` (a bold caption
        followed by st.write, as the report does for the transcript), without the numbers of
        the grammar notes (``<sup>``) that follow a marked error."""
        marker = self.page.get_by_test_id("stElementContainer").filter(has_text=re.compile(rf"^{re.escape(heading)}$"))
        element = marker.last.locator("xpath=following-sibling::*[1]")
        return element.evaluate(
            "e => { const copy = e.cloneNode(true); copy.querySelectorAll('sup').forEach(s => s.remove());"
            " return copy.textContent; }"
        ).strip()

    def screenshot(self, path: Path) -> Path:
        """The whole page, not only the viewport: Streamlit scrolls inside its main section,
        so Playwright's full_page sees one screen; grow the viewport to the content first."""
        height = self.page.evaluate(
            """() => Math.max(...[...document.querySelectorAll(
                   "[data-testid='stMain'], [data-testid='stAppViewContainer'], section, body")]
                 .map(e => e.scrollHeight))"""
        )
        size = self.page.viewport_size or VIEWPORT
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.page.set_viewport_size({"width": size["width"], "height": max(size["height"], int(height))})
            self.page.wait_for_timeout(300)  # let the layout settle at the new size
            self.page.screenshot(path=str(path), full_page=True, animations="disabled")
        finally:
            self.page.set_viewport_size(size)
        return path


@dataclass
class AudioRecorder:
    """``st.audio_input`` by its label: a Record button that turns into Stop recording, a
    mm:ss time code, and a toolbar (download, clear) once there is a recording."""

    owner: StreamlitPage
    label: str

    @property
    def widget(self):
        return self.owner.page.get_by_test_id("stAudioInput").filter(
            has=self.owner.page.get_by_test_id("stWidgetLabel").filter(has_text=self.label)
        )

    def seconds_shown(self) -> int:
        minutes, seconds = self.widget.get_by_test_id("stAudioInputWaveformTimeCode").inner_text().split(":")
        return int(minutes) * 60 + int(seconds)

    def record(self, seconds: float, until=None) -> None:
        """Press Record, let the fake microphone play for ``seconds`` (by the widget's own
        clock), press Stop, and wait until the recording is uploaded and the page has run
        with it; or, on a page that also reruns on its own (a countdown fragment), until the
        locator ``until`` shows what that run puts on the page."""
        widget = self.widget
        widget.get_by_role("button", name="Record", exact=True).click()
        stop = widget.get_by_role("button", name="Stop recording", exact=True)
        stop.wait_for(timeout=10_000)
        target = int(np.ceil(seconds))
        deadline = time.monotonic() + seconds + 30
        while self.seconds_shown() < target:
            if time.monotonic() > deadline:
                raise AssertionError(f"the recorder's clock stopped at {self.seconds_shown()} s")
            self.owner.page.wait_for_timeout(100)
        runs = self.owner.runs_finished()
        stop.click()
        if until is not None:
            # Not Play: the run with the recording may replace the recorder before it is seen.
            until.wait_for(timeout=self.owner.timeout_ms)
            self.owner.wait_until_idle()
        else:
            # Play shows while the recording is still on its way to the server; the page
            # runs with it later.
            widget.get_by_role("button", name="Play", exact=True).wait_for(timeout=self.owner.timeout_ms)
            self.owner.wait_for_rerun(runs)


class PracticePage(StreamlitPage):
    """views/practice.py: pick a task, record or upload an answer, score it."""

    def choose(self, task_type: str, task: str | re.Pattern) -> PracticePage:
        self.select("Task type", task_type)
        self.select("Task", task)
        return self

    @property
    def recorder(self) -> AudioRecorder:
        return AudioRecorder(self, "Record your answer")

    def score(self, timeout_ms: float) -> PracticePage:
        """Click "Score my answer" and wait for the report (or an error) to be shown."""
        self.button("Score my answer").click()
        report_or_error = self.page.get_by_test_id("stMetric").or_(
            self.page.get_by_test_id("stAlertContentError")).or_(self.page.get_by_test_id("stException"))  # fmt: skip
        report_or_error.first.wait_for(timeout=timeout_ms)
        self.wait_until_idle(timeout_ms)
        return self
