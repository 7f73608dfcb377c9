"""Grammar checking of spoken answers on a local LanguageTool server.

Public API::

    check_grammar(text) -> GrammarResult      # raises GrammarUnavailable
    server() -> LanguageToolServer             # status() / ensure_running() / stop()
    GrammarUnavailable                         # message says why, readable by a user

The server
----------
LanguageTool 6.x (``scripts/install-languagetool.sh`` copies the server and the English
module into ``settings.languagetool_dir``) runs as
``java -Xmx512m -cp 'DIR/*:languagetool/rules' org.languagetool.server.HTTPServer``
on 127.0.0.1:``settings.languagetool_port``. It is started once, detached, and shared by
every app session and process: a state file under ``data/languagetool/`` records its pid and
port, a lock file serialises starts, and ``/v2/languages`` is the health check. A server
that died is started again on the next check. If ``settings.languagetool_url`` is set,
that server is used and none is started. We talk to it through
``language_tool_python.LanguageTool('en-US', remote_server=URL)``, which then never
downloads anything.

Speech-aware policy
-------------------
A transcript has no reliable capitals or punctuation and the recogniser only produces
real, correctly spelt words, so only errors a listener could hear count:

* Counted LanguageTool categories: ``GRAMMAR`` (agreement, tense, verb forms, articles,
  determiners, word order, comparatives...), ``COLLOCATIONS`` (wrong prepositions and
  word combinations), ``CONFUSED_WORDS`` (wrong word), ``NONSTANDARD_PHRASES`` and
  ``MISC`` (holds ``EN_A_VS_AN``).
* Not counted (disabled on the server, and filtered again here): ``CASING``,
  ``PUNCTUATION``, ``TYPOGRAPHY`` (whitespace, quotes, dashes), ``TYPOS`` (spelling,
  including names, ``I_LOWERCASE``, apostrophes), ``COMPOUNDING`` (hyphens),
  ``MULTITOKEN_SPELLING``, ``PROPER_NOUNS``, ``STYLE``, ``REDUNDANCY``, ``PLAIN_ENGLISH``,
  ``REPETITIONS_STYLE``, ``WIKIPEDIA``, ``CREATIVE_WRITING``, ``TON_ACADEMIC``,
  ``SEMANTICS`` (dates, idioms), ``BRITISH_ENGLISH``/``AMERICAN_ENGLISH``,
  ``GENDER_NEUTRALITY``. Any category not in the counted list is ignored too.
* Not counted by rule id even in a counted category: homophone rules (their/there,
  your/you're, its/it's, to/too, then/than, here/hear...: the recogniser picked the
  spelling, not the speaker), ``WORD_REPEAT_RULE`` (a repetition is a disfluency, scored
  under fluency) and rules about spelling variants.
* Before checking, a same-length normalisation writes a lone ``i`` (and ``i'm``,
  ``i've``...) as ``I`` and capitalises the first letter, because several grammar rules
  only recognise the capital pronoun. Offsets therefore still point into the original text.
* ``languagetool/rules/.../grammar_custom.xml`` adds learner errors LanguageTool 6.8
  misses, as ``TRAINER_*`` rules in the counted ``GRAMMAR`` category, written for
  transcripts (case-insensitive, no punctuation needed):
  - tense: a past time expression or a past story followed by a present verb ("yesterday
    I go", "yesterday the customer call me", "I called and then I go"); the present
    continuous with since ("I am working here since 2019");
  - agreement with noun subjects ("the package were", "my manager have", "the customer
    want", "I think the customers is") and after he/she/it + adverb ("he always work");
  - uncountable nouns with a/an or a plural ("an information", "equipments");
  - since with a length of time ("since three years");
  - a job without an article ("I am student");
  - verb forms after auxiliaries ("does not been", "I am not understand", "do you
    knows", "didn't he knew", "remember to sent").
  Where LanguageTool already flags a type (double comparatives, modal + wrong form,
  did + past, he/she + verb without -s, "a feedback") the rules leave it to LanguageTool,
  so a mistake counts once. ``tests/test_grammar_learner.py`` holds each rule's true and
  false examples; ``bench/grammar_rules.py`` counts the flags on correct English.
  LanguageTool reads the file when it starts: restart the server after changing it.

Ignored matches are kept in ``GrammarResult.ignored`` for transparency.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

from trainer.config import data_path, get_settings, resource_path

LANGUAGE = "en-US"
JAVA_HEAP = "-Xmx512m"
STARTUP_TIMEOUT = 120.0  # seconds; a cold start on 2 cores takes about 5-10 s
REQUEST_TIMEOUT = 30.0
CUSTOM_RULES_DIR = resource_path("languagetool/rules")
REQUIRED_JARS = ("languagetool-server-", "language-en-", "languagetool-core-")

# Server configuration (HTTPServerConfig keys); kept small for memory.
SERVER_CONFIG = {
    "cacheSize": "500",  # sentence-level result cache
    "cacheTTLSeconds": "600",
    "pipelineCaching": "true",  # keep the built en-US rule pipeline between requests
    "pipelinePrewarming": "false",  # do not build pipelines for every language variant
    "maxPipelinePoolSize": "4",
    "pipelineExpireTimeInSeconds": "3600",
    "maxTextLength": "20000",  # characters; a 3-minute answer is ~3,000
    "maxCheckTimeMillis": "20000",
    "maxCheckThreads": "2",
    "maxWorkQueueSize": "50",
}

COUNTED_CATEGORIES = frozenset({"GRAMMAR", "COLLOCATIONS", "CONFUSED_WORDS", "NONSTANDARD_PHRASES", "MISC"})
DISABLED_CATEGORIES = frozenset(
    {
        "CASING", "PUNCTUATION", "TYPOGRAPHY", "TYPOS", "COMPOUNDING",
        "MULTITOKEN_SPELLING", "PROPER_NOUNS", "STYLE", "REDUNDANCY", "PLAIN_ENGLISH",
        "REPETITIONS_STYLE", "REPETITIONS", "WIKIPEDIA", "CREATIVE_WRITING", "TON_ACADEMIC",
        "SEMANTICS", "BRITISH_ENGLISH", "AMERICAN_ENGLISH", "GENDER_NEUTRALITY",
    }
)  # fmt: skip
HOMOPHONE_RULES = frozenset(
    {
        "YOUR", "YOUR_NN", "YOUR_RE", "YOURE", "VBG_YOURE", "THATS_YOURE", "YOUR_YOU_RE",
        "YOURE_JJS_NN", "IN_YOU_RE_NN", "THAT_S_YOU_RE", "THEYRE_THEIR", "VBG_THEYRE",
        "THEYRE_JJS_NN", "THATS_THEYRE", "WRB_THERE_THEY_RE", "VBZ_IN_THEYRE_NN",
        "IN_VBZ_THEYRE_NN", "DT_VBZ_THEYRE_NN", "THERE_OWN", "THERE_THEIR", "THEIR_IS",
        "THEIR_S", "ITS_TO_IT_S", "IT_ITS", "THATS_ITS", "ITS_IS", "ITS_HAS", "ITS_ARE",
        "ITS_JJS_NN", "ITS_JJ_NNSNN", "FOR_ITS_NN", "ABOUT_ITS_NN", "TO_VB_ITS_NN",
        "HAS_IT_NNS__IT_ITS", "TO_TOO", "TOO_TO", "TOO_TWO", "HAD_TOO", "NICE_TOO_ME",
        "LIMITED_TO", "COMP_THAN", "LESS_MORE_THEN", "COMMA_THAN", "FROM_THAN_ON",
        "AND_THAN", "THAN_INTERJ", "WHO_THAN", "RATHER_THEN", "OTHER_THEN",
        "CONFUSION_OF_THEN_THAN", "COMPARISONS_THEN", "COMPARISONS_NNS_THEN", "THAT_THAN",
        "WORTH_THAN", "HERE_HEAR", "HEAR_HERE", "HER_HEAR", "GOT_HERE", "NO_KNOW",
        "KNOW_NOW", "WERE_WE_RE", "WERE_WHERE", "WHO_S_NN_VB", "WHOSE_DT", "BY_BUY",
        "VBN_BUY", "BUY_VBG", "WEATHER_WHETHER", "THE_WHETHER", "BE_ALOUD_TO",
        "DO_TO_THE_FACT_THAT", "DO_TO_THE_LACK_OF", "ANY_WAY_TO_VB",
    }
)  # fmt: skip
IGNORED_RULES = HOMOPHONE_RULES | {
    "WORD_REPEAT_RULE",  # "I I think": a disfluency, scored as fluency
    "ENGLISH_WORD_REPEAT_RULE",  # the same rule's English id in LanguageTool 6.x
    "LOWERCASE_MONTHS",  # "in march": capitals are not heard
    "EN_WORD_COHERENCY",  # consistent spelling variants
    "EN_CONTRACTION_SPELLING",
    "I_LOWERCASE",
    "UPPERCASE_SENTENCE_START",
}

_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)*")
_LONE_I = re.compile(r"(?<![\w'’])i(?=(?:['’](?:m|ve|ll|d)\b)|(?![\w'’]))")


class GrammarUnavailable(RuntimeError):
    """Grammar scoring cannot run (no Java, no jars, server down); str() says why."""

    def __init__(self, reason: str):
        super().__init__(f"Grammar scoring is unavailable: {reason}")
        self.reason = reason


@dataclass
class GrammarError:
    text: str  # the offending words, from the original text
    offset: int  # character offset in the checked text
    length: int
    category: str  # LanguageTool category id, e.g. GRAMMAR
    rule_id: str  # LanguageTool rule id, e.g. HE_VERB_AGR
    message: str
    suggestions: list[str] = field(default_factory=list)
    issue_type: str = ""

    def to_dict(self) -> dict:
        """As kept in a report's grammar evidence (``details["errors"]``)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> GrammarError:
        """An error back from ``to_dict()`` (as stored with an attempt); keys it does not
        know are left out, and a missing offset (-1) makes readers find the words instead."""
        return cls(
            text=data.get("text", ""),
            offset=data.get("offset", -1),
            length=data.get("length", 0),
            category=data.get("category", ""),
            rule_id=data.get("rule_id", ""),
            message=data.get("message", ""),
            suggestions=list(data.get("suggestions") or []),
            issue_type=data.get("issue_type", ""),
        )


@dataclass
class GrammarResult:
    text: str
    errors: list[GrammarError]
    word_count: int
    errors_per_100_words: float
    server_version: str  # "LanguageTool 6.8"
    server_url: str
    ignored: list[GrammarError] = field(default_factory=list)  # matches the policy drops

    def to_dict(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------- policy


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def normalise_for_check(text: str) -> str:
    """Same-length rewrite of a transcript: lone ``i`` -> ``I``, first letter upper."""
    out = _LONE_I.sub("I", text)
    for i, ch in enumerate(out):
        if ch.isalpha():
            return out[:i] + ch.upper() + out[i + 1 :]
        if not ch.isspace() and ch not in "\"'“‘(-":
            break
    return out


def is_counted(category: str, rule_id: str) -> bool:
    """True if a LanguageTool match is a grammar error in speech (see module docs)."""
    return category in COUNTED_CATEGORIES and rule_id not in IGNORED_RULES


# --------------------------------------------------------------------------- server


def _http_get_json(url: str, timeout: float = 3.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback/configured)
        return json.loads(response.read().decode("utf-8"))


def _java_problem(java: str) -> str | None:
    """Why Java cannot run LanguageTool 6 (needs 17+), or None if it can."""
    exe = shutil.which(java)
    if not exe:
        return "Java is not installed (LanguageTool needs Java 17 or newer, e.g. openjdk-17-jre-headless)"
    try:
        out = subprocess.run([exe, "-version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"Java does not run ({exc})"
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if match:
        major = int(match.group(1))
        if major == 1 and match.group(2):
            major = int(match.group(2))
        if major < 17:
            return f"Java {major} is installed, LanguageTool needs Java 17 or newer"
    return None


class LanguageToolServer:
    """The shared LanguageTool server: find it, start it once, check it, stop it."""

    def __init__(
        self,
        url: str | None = None,
        port: int | None = None,
        lib_dir: str | os.PathLike | None = None,
        java: str = "java",
        state_dir: Path | None = None,
    ):
        settings = get_settings()
        configured = settings.languagetool_url if url is None else url
        self.managed = not configured
        self.port = int(port if port is not None else settings.languagetool_port)
        self.url = (configured or f"http://127.0.0.1:{self.port}").rstrip("/") + "/"
        self.lib_dir = Path(lib_dir if lib_dir is not None else settings.languagetool_dir)
        self.java = java
        self.state_dir = state_dir or data_path("languagetool", "x").parent
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.state_file = self.state_dir / f"server-{self.port}.json"
        self.lock_file = self.state_dir / f"server-{self.port}.lock"
        self.log_file = self.state_dir / f"server-{self.port}.log"
        self.config_file = self.state_dir / "server.properties"
        self.started_in: float | None = None  # seconds, when this object started it

    # -- queries
    def healthy(self, timeout: float = 3.0) -> bool:
        try:
            languages = _http_get_json(urllib.parse.urljoin(self.url, "v2/languages"), timeout)
        except (OSError, ValueError):
            return False
        return any(lang.get("longCode") == LANGUAGE for lang in languages or [])

    def version(self) -> str:
        query = urllib.parse.urlencode({"language": LANGUAGE, "text": "ok"})
        try:
            data = _http_get_json(urllib.parse.urljoin(self.url, f"v2/check?{query}"), 30)
            software = data.get("software", {})
            return f"{software.get('name', 'LanguageTool')} {software.get('version', '?')}"
        except (OSError, ValueError):
            return "LanguageTool ?"

    def _state(self) -> dict:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}

    def pid(self) -> int | None:
        pid = self._state().get("pid")
        if not pid:
            return None
        if not _alive(pid):
            return None
        try:  # a recycled pid is not our server
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"org.languagetool.server.HTTPServer" not in cmdline:
                return None
        except OSError:
            pass
        return pid

    def status(self) -> dict:
        healthy = self.healthy()
        return {
            "url": self.url,
            "managed": self.managed,
            "running": healthy,
            "pid": self.pid() if self.managed else None,
            "version": self.version() if healthy else None,
            "lib_dir": str(self.lib_dir) if self.managed else None,
            "log": str(self.log_file) if self.managed else None,
        }

    # -- control
    def ensure_running(self, timeout: float = STARTUP_TIMEOUT) -> str:
        """The URL of a healthy server; starts the local one if needed."""
        if self.healthy():
            return self.url
        if not self.managed:
            raise GrammarUnavailable(f"the LanguageTool server at {self.url} does not answer")
        with self._lock():
            if self.healthy():  # another process started it while we waited
                return self.url
            self._start(timeout)
        return self.url

    @contextlib.contextmanager
    def _lock(self):
        with open(self.lock_file, "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _check_install(self) -> None:
        problem = _java_problem(self.java)
        if problem:
            raise GrammarUnavailable(problem)
        jars = [p.name for p in self.lib_dir.glob("*.jar")] if self.lib_dir.is_dir() else []
        missing = [prefix for prefix in REQUIRED_JARS if not any(j.startswith(prefix) for j in jars)]
        if missing:
            raise GrammarUnavailable(
                f"LanguageTool is not installed in {self.lib_dir} "
                f"(missing {', '.join(m.rstrip('-') for m in missing)}); "
                "run scripts/install-languagetool.sh"
            )

    def command(self) -> list[str]:
        classpath = f"{self.lib_dir}/*"
        if CUSTOM_RULES_DIR.is_dir():
            classpath += os.pathsep + str(CUSTOM_RULES_DIR)
        return [
            shutil.which(self.java) or self.java, JAVA_HEAP,
            "-XX:+UseSerialGC",  # one small heap, no parallel GC threads: less memory
            "-cp", classpath, "org.languagetool.server.HTTPServer",
            "--port", str(self.port), "--config", str(self.config_file),
        ]  # fmt: skip

    def _start(self, timeout: float) -> None:
        self._check_install()
        old = self.pid()
        if old:  # alive but not answering: hung, replace it
            self._kill(old)
        self.config_file.write_text("".join(f"{k}={v}\n" for k, v in SERVER_CONFIG.items()))
        started = time.monotonic()
        with open(self.log_file, "ab") as log:
            process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # outlives this process; shared by all sessions
                close_fds=True,
            )
        _children.append(process)  # left running on purpose: shared by all processes
        self.state_file.write_text(
            json.dumps({"pid": process.pid, "port": self.port, "url": self.url, "started": time.time()})
        )
        deadline = started + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise GrammarUnavailable(
                    f"the LanguageTool server stopped while starting "
                    f"(exit code {process.returncode}): {self._log_tail()}"
                )
            if self.healthy(timeout=2):
                self.started_in = time.monotonic() - started
                self._warm_up()
                return
            time.sleep(0.25)
        self._kill(process.pid)
        raise GrammarUnavailable(f"the LanguageTool server did not start within {timeout:.0f} s: {self._log_tail()}")

    def _warm_up(self) -> None:
        """Build the en-US rule pipeline now, so the first real check is fast."""
        data = urllib.parse.urlencode({"language": LANGUAGE, "text": "He go to work every day."}).encode()
        with contextlib.suppress(OSError):
            urllib.request.urlopen(urllib.parse.urljoin(self.url, "v2/check"), data, timeout=60).close()  # noqa: S310

    def _log_tail(self, lines: int = 5) -> str:
        try:
            tail = self.log_file.read_text(errors="replace").strip().splitlines()[-lines:]
        except OSError:
            return "no log"
        return " | ".join(line.strip() for line in tail) or "no output"

    def _kill(self, pid: int, wait: float = 10.0) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.1)
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)

    def stop(self) -> bool:
        """Stop the server this project started; False if none was running."""
        if not self.managed:
            return False
        with self._lock():
            pid = self.pid()
            if not pid:
                return False
            self._kill(pid)
            with contextlib.suppress(OSError):
                self.state_file.unlink()
            return True


def _alive(pid: int) -> bool:
    try:
        # reap it if it is our child, so a dead server is not a zombie forever
        with contextlib.suppress(ChildProcessError):
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done == pid:
                return False
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --------------------------------------------------------------------------- client

_lock = threading.Lock()
_children: list[subprocess.Popen] = []
_server: LanguageToolServer | None = None
_clients: dict[str, tuple[object, str]] = {}  # url -> (LanguageTool, version)


def server() -> LanguageToolServer:
    """The server chosen by the settings (shared in this process)."""
    global _server
    with _lock:
        if _server is None:
            _server = LanguageToolServer()
        return _server


def _client(srv: LanguageToolServer):
    url = srv.ensure_running()
    with _lock:
        if url not in _clients:
            import language_tool_python

            try:
                tool = language_tool_python.LanguageTool(LANGUAGE, remote_server=url)
            except Exception as exc:  # noqa: BLE001 - the library raises several kinds
                raise GrammarUnavailable(f"the LanguageTool server at {url} does not answer ({exc})") from exc
            tool.disabled_categories = set(DISABLED_CATEGORIES)
            tool.disabled_rules = set(IGNORED_RULES)
            _clients[url] = (tool, srv.version())
        return _clients[url]


def _to_error(match, original: str) -> GrammarError:
    offset, length = int(match.offset), int(match.error_length)
    return GrammarError(
        text=original[offset : offset + length],
        offset=offset,
        length=length,
        category=str(match.category),
        rule_id=str(match.rule_id),
        message=str(match.message),
        suggestions=[str(s) for s in (match.replacements or [])][:5],
        issue_type=str(getattr(match, "rule_issue_type", "") or ""),
    )


def check_grammar(text: str, srv: LanguageToolServer | None = None) -> GrammarResult:
    """Grammar errors in a (spoken) English text, by the speech-aware policy above."""
    srv = srv or server()
    words = count_words(text)
    if words == 0:
        return GrammarResult(text, [], 0, 0.0, "", srv.url)
    checked = normalise_for_check(text)
    matches = None
    for attempt in range(2):
        tool, version = _client(srv)
        try:
            matches = tool.check(checked)
            break
        except Exception as exc:  # noqa: BLE001 - connection errors, LanguageToolError
            with _lock:
                _clients.pop(srv.url, None)
            if attempt == 1 or srv.healthy():
                raise GrammarUnavailable(f"the LanguageTool server at {srv.url} failed: {exc}") from exc
            # it died: the next loop starts it again (managed) or reports it (configured)
    errors, ignored = [], []
    for match in matches or []:
        error = _to_error(match, text)
        (errors if is_counted(error.category, error.rule_id) else ignored).append(error)
    errors.sort(key=lambda e: e.offset)
    return GrammarResult(
        text=text,
        errors=errors,
        word_count=words,
        errors_per_100_words=round(100.0 * len(errors) / words, 2),
        server_version=version,
        server_url=srv.url,
        ignored=ignored,
    )
