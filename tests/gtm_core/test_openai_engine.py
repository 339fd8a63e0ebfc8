"""The openai engine against a small scripted OpenAI-compatible server on 127.0.0.1.

The fake server (http.server in a thread) answers what each test scripts and records every
request, so retries, timeouts, response_format fallbacks, headers and the concurrency limit
are checked on the wire. The slow tests at the end use a real llama-cpp-python server.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jsonschema
import pytest
from llama_server import LlamaServer, embedded_gguf, free_port, llama_cpp_missing

from gtm_core import Simulator, ToolSpec
from gtm_core.engines.base import EngineError
from gtm_core.engines.openai_compat import OpenAIEngine
from gtm_core.generation import ChatRequest, GenerationRequest

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "temperature_c": {"type": "number"}},
    "required": ["city", "temperature_c"],
}
MESSAGES = [
    {"role": "system", "content": "You are a weather API. Answer only with the JSON response."},
    {"role": "user", "content": 'get_weather({"city": "Paris"})'},
]
ANSWER = {"city": "Paris", "temperature_c": 18.5}


def chat(**overrides: Any) -> ChatRequest:
    return ChatRequest(**{"messages": MESSAGES, "json_schema": SCHEMA, "max_tokens": 64, **overrides})


# ---- the fake server ------------------------------------------------------------------------
@dataclass
class Seen:
    """One request the fake server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


Reply = tuple[int, Any, dict[str, str]]


@dataclass
class FakeOpenAI:
    """A scripted OpenAI-compatible server; ``respond(seen, fake)`` returns (status, body, headers)."""

    respond: Callable[[Seen, FakeOpenAI], Reply]
    seen: list[Seen] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    released: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    httpd: ThreadingHTTPServer | None = None
    thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self.httpd is not None
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def wait(self, seconds: float) -> None:
        """Be slow for ``seconds`` (cut short when the test ends)."""
        self.released.wait(seconds)

    def chats(self) -> list[Seen]:
        return [s for s in self.seen if s.path.endswith("/chat/completions")]

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 10

            def do_GET(self) -> None:
                self._handle()

            def do_POST(self) -> None:
                self._handle()

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(raw) if raw else None)
                with fake.lock:
                    fake.seen.append(seen)
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    status, body, headers = fake.respond(seen, fake)
                finally:
                    with fake.lock:
                        fake.in_flight -= 1
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (a timeout test)
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.released.set()
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
        if self.thread is not None:
            self.thread.join(timeout=5)


def completion(content: str) -> dict[str, Any]:
    return {"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}


def answering(seen: Seen, fake: FakeOpenAI) -> Reply:
    """A well-behaved server: lists one model and answers every chat with ANSWER."""
    if seen.path.endswith("/models"):
        return 200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]}, {}
    return 200, completion(json.dumps(ANSWER)), {}


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[Seen, FakeOpenAI], Reply]], FakeOpenAI]]:
    """Start fake servers with the given behaviour; all stop when the test ends."""
    started: list[FakeOpenAI] = []

    def start(respond: Callable[[Seen, FakeOpenAI], Reply] = answering) -> FakeOpenAI:
        fake = FakeOpenAI(respond).start()
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.stop()


def run(engine: OpenAIEngine, requests: list[ChatRequest], *, timeout: float = 20) -> list[str]:
    return asyncio.run(asyncio.wait_for(engine.complete(requests), timeout=timeout))


# ---- the fast tests -------------------------------------------------------------------------
def test_the_engine_sends_the_model_messages_temperature_seed_and_schema(serve):
    """One request carries everything the chat request says, in OpenAI's spelling."""
    fake = serve()
    engine = OpenAIEngine("my-model", base_url=fake.base_url, response_format="json_schema")
    [text] = run(engine, [chat(temperature=0.3, seed=(1 << 40) + 7)])
    assert json.loads(text) == ANSWER
    [seen] = fake.chats()
    assert seen.method == "POST" and seen.path == "/v1/chat/completions"
    body = seen.body
    assert body["model"] == "my-model" and body["messages"] == MESSAGES
    assert body["temperature"] == 0.3 and body["max_tokens"] == 64
    assert body["seed"] == 7  # folded into 31 bits, the same way every time
    assert body["response_format"] == {"type": "json_schema", "json_schema": {"name": "tool_response", "schema": SCHEMA, "strict": False}}


def test_json_object_and_none_spell_the_response_format_their_way(serve):
    """json_object puts the schema beside the type (llama.cpp, lmdeploy); none sends nothing."""
    fake = serve()
    run(OpenAIEngine("m", base_url=fake.base_url, response_format="json_object"), [chat()])
    run(OpenAIEngine("m", base_url=fake.base_url, response_format="none"), [chat()])
    run(OpenAIEngine("m", base_url=fake.base_url), [chat(json_schema=None)])
    first, second, third = fake.chats()
    assert first.body["response_format"] == {"type": "json_object", "schema": SCHEMA}
    assert "response_format" not in second.body and "response_format" not in third.body


def test_without_a_model_the_engine_uses_the_first_one_the_server_lists(serve):
    """model=None asks /v1/models once and sends that name."""
    fake = serve()
    engine = OpenAIEngine(base_url=fake.base_url)
    run(engine, [chat()])
    run(engine, [chat()])
    assert [s.path for s in fake.seen] == ["/v1/models", "/v1/chat/completions", "/v1/chat/completions"]
    assert fake.chats()[0].body["model"] == "fake-model"
    assert engine.description == f"openai fake-model at {fake.base_url}"


def test_a_503_is_retried_until_the_server_answers(serve):
    """Server errors are retried with backoff; the answer that finally comes is returned."""

    def flaky(seen: Seen, fake: FakeOpenAI) -> Reply:
        if len(fake.chats()) <= 2:
            return 503, {"error": {"message": "model is loading"}}, {}
        return answering(seen, fake)

    fake = serve(flaky)
    engine = OpenAIEngine("m", base_url=fake.base_url, retries=2, backoff_s=0.01)
    assert json.loads(run(engine, [chat()])[0]) == ANSWER
    assert len(fake.chats()) == 3


def test_a_429_waits_for_retry_after_then_tries_again(serve):
    """Rate limits are retried, after the time the server asks for."""

    def limited(seen: Seen, fake: FakeOpenAI) -> Reply:
        if len(fake.chats()) == 1:
            return 429, {"error": {"message": "slow down"}}, {"Retry-After": "0.2"}
        return answering(seen, fake)

    fake = serve(limited)
    engine = OpenAIEngine("m", base_url=fake.base_url, retries=1, backoff_s=0)
    started = time.monotonic()
    run(engine, [chat()])
    assert time.monotonic() - started >= 0.2
    assert len(fake.chats()) == 2


def test_retries_that_run_out_say_what_the_server_last_said(serve):
    """When every try fails the error names the URL, the tries and the server's message."""
    fake = serve(lambda seen, fake: (502, {"error": {"message": "upstream\nexploded"}}, {}))
    engine = OpenAIEngine("m", base_url=fake.base_url, retries=2, backoff_s=0.01)
    with pytest.raises(EngineError) as caught:
        run(engine, [chat()])
    message = str(caught.value)
    assert "\n" not in message
    assert f"{fake.base_url}/chat/completions" in message and "3 tries" in message and "HTTP 502: upstream exploded" in message
    assert len(fake.chats()) == 3


def test_a_400_is_not_retried(serve):
    """A request the server rejects fails at once, with the server's reason."""
    fake = serve(lambda seen, fake: (400, {"error": {"message": "max_tokens is too large"}}, {}))
    engine = OpenAIEngine("m", base_url=fake.base_url, retries=3, backoff_s=0.01, response_format="none")
    with pytest.raises(EngineError, match="HTTP 400: max_tokens is too large"):
        run(engine, [chat()])
    assert len(fake.chats()) == 1


def test_a_401_says_which_environment_variable_should_hold_the_key(serve, monkeypatch):
    """Refused credentials point at the variable that api_key_env names."""
    monkeypatch.delenv("GTM_TEST_KEY", raising=False)
    fake = serve(lambda seen, fake: (401, {"error": {"message": "invalid api key"}}, {}))
    with pytest.raises(EngineError, match="set the environment variable GTM_TEST_KEY"):
        run(OpenAIEngine("m", base_url=fake.base_url, api_key_env="GTM_TEST_KEY"), [chat()])


def test_the_api_key_comes_from_the_environment_variable_that_api_key_env_names(serve, monkeypatch):
    """The key is sent as a bearer token; with the variable unset no Authorization header goes."""
    monkeypatch.setenv("GTM_TEST_KEY", "sk-test-123")
    monkeypatch.delenv("GTM_TEST_UNSET", raising=False)
    fake = serve()
    run(OpenAIEngine("m", base_url=fake.base_url, api_key_env="GTM_TEST_KEY"), [chat()])
    run(OpenAIEngine("m", base_url=fake.base_url, api_key_env="GTM_TEST_UNSET"), [chat()])
    with_key, without = fake.chats()
    assert with_key.headers["authorization"] == "Bearer sk-test-123"
    assert "authorization" not in without.headers


def test_a_slow_server_times_out_quickly_with_a_clear_error(serve):
    """timeout_s bounds each request; the error says how long was waited and what to raise."""
    fake = serve(lambda seen, fake: (fake.wait(10), answering(seen, fake))[1])
    engine = OpenAIEngine("m", base_url=fake.base_url, timeout_s=0.3, retries=0)
    started = time.monotonic()
    with pytest.raises(EngineError, match=r"no answer within 0.3 s"):
        run(engine, [chat()])
    assert time.monotonic() - started < 3


def test_a_dead_port_gives_an_error_that_says_how_to_start_a_server():
    """Nothing listening: the error names the URL and the commands that start a server."""
    url = f"http://127.0.0.1:{free_port()}/v1"
    engine = OpenAIEngine("m", base_url=url, retries=1, backoff_s=0.01)
    started = time.monotonic()
    with pytest.raises(EngineError) as caught:
        run(engine, [chat()])
    message = str(caught.value)
    assert f"{url}/chat/completions" in message and "cannot connect" in message
    assert "lmdeploy serve api_server" in message and "llama_cpp.server" in message
    assert time.monotonic() - started < 5


def test_a_body_that_is_not_json_is_reported_as_the_wrong_url(serve):
    """An HTML page (a web server, not an API) gives an error that asks about base_url."""
    fake = serve(lambda seen, fake: (200, b"<html>hello</html>", {}))
    with pytest.raises(EngineError, match=r"not JSON .*is base_url an OpenAI-compatible API"):
        run(OpenAIEngine("m", base_url=fake.base_url), [chat()])


def refusing(*refused: str) -> Callable[[Seen, FakeOpenAI], Reply]:
    """A server that answers HTTP 500 to the response_format types it does not take."""

    def respond(seen: Seen, fake: FakeOpenAI) -> Reply:
        kind = (seen.body or {}).get("response_format", {}).get("type")
        if kind in refused:
            return 500, {"error": {"message": f"1 validation error: response_format.type Input should be 'text', got '{kind}'"}}, {}
        return answering(seen, fake)

    return respond


def test_auto_steps_down_to_json_object_once_and_remembers(serve):
    """auto tries json_schema; after the server blames it, json_object is used from then on."""
    fake = serve(refusing("json_schema"))
    engine = OpenAIEngine("m", base_url=fake.base_url, backoff_s=0.01)
    assert json.loads(run(engine, [chat()])[0]) == ANSWER
    run(engine, [chat(), chat()])
    kinds = [s.body["response_format"]["type"] for s in fake.chats()]
    assert kinds == ["json_schema", "json_object", "json_object", "json_object"]
    assert engine.format_in_use == "json_object"


def test_auto_ends_without_a_response_format_when_the_server_takes_none(serve):
    """A server that refuses both spellings still answers when no response_format is sent."""
    fake = serve(refusing("json_schema", "json_object"))
    engine = OpenAIEngine("m", base_url=fake.base_url, backoff_s=0.01)
    run(engine, [chat()])
    assert [s.body.get("response_format", {}).get("type") for s in fake.chats()] == ["json_schema", "json_object", None]
    assert engine.format_in_use == "none"


def test_an_explicit_response_format_that_the_server_refuses_is_an_error_with_a_hint(serve):
    """Only auto steps down; a chosen spelling that fails says which others to try."""
    fake = serve(refusing("json_schema"))
    with pytest.raises(EngineError, match="set the response_format option to one of auto, json_object, none"):
        run(OpenAIEngine("m", base_url=fake.base_url, response_format="json_schema", backoff_s=0.01), [chat()])
    assert len(fake.chats()) == 1


def test_no_more_requests_than_concurrency_are_in_flight(serve):
    """Eight requests with concurrency 2: never more than two at the server; answers in order."""

    def slow_echo(seen: Seen, fake: FakeOpenAI) -> Reply:
        fake.wait(0.25)  # long enough that two requests overlap even on a busy machine
        return 200, completion(seen.body["messages"][-1]["content"]), {}

    fake = serve(slow_echo)
    engine = OpenAIEngine("m", base_url=fake.base_url, concurrency=2)
    requests = [chat(messages=[{"role": "user", "content": f"call {i}"}]) for i in range(8)]
    assert run(engine, requests) == [f"call {i}" for i in range(8)]
    assert fake.max_in_flight == 2


def test_one_engine_serves_calls_from_successive_event_loops(serve):
    """The simulator may use a new asyncio.run per batch; each gets a client and closes it."""
    fake = serve()
    engine = OpenAIEngine("m", base_url=fake.base_url)
    for _ in range(3):
        assert json.loads(run(engine, [chat()])[0]) == ANSWER
    asyncio.run(engine.aclose())
    assert len(fake.chats()) == 3


def test_the_base_url_comes_from_the_environment_when_not_given(monkeypatch):
    """GTM_OPENAI_BASE_URL wins over OPENAI_BASE_URL, which wins over the default."""
    monkeypatch.delenv("GTM_OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert OpenAIEngine().base_url == "http://127.0.0.1:8000/v1"
    monkeypatch.setenv("OPENAI_BASE_URL", "https://api.example.com/v1/")
    assert OpenAIEngine().base_url == "https://api.example.com/v1"
    monkeypatch.setenv("GTM_OPENAI_BASE_URL", "http://10.0.0.2:23333/v1")
    assert OpenAIEngine().base_url == "http://10.0.0.2:23333/v1"


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"response_format": "grammar"}, "'response_format' option"),
        ({"concurrency": 0}, "'concurrency' option"),
        ({"retries": -1}, "'retries' option"),
        ({"timeout_s": 0}, "'timeout_s' option"),
        ({"base_url": "localhost:8000"}, "'base_url' option"),
    ],
)
def test_bad_options_are_refused_with_the_option_named(options, fragment):
    """Each bad option raises ValueError naming the option and the value."""
    with pytest.raises(ValueError, match=fragment):
        OpenAIEngine("m", **options)


def test_generate_turns_the_server_answer_into_a_tool_response(serve):
    """Through ChatEngine.generate: the request carries the answer schema and the JSON comes back."""
    fake = serve()
    spec = ToolSpec(name="get_weather", description="Current weather in a city.", parameters={"type": "object", "properties": {"city": {"type": "string"}}}, response=SCHEMA)
    engine = OpenAIEngine("m", base_url=fake.base_url)
    [answer] = asyncio.run(engine.generate([GenerationRequest(spec=spec, arguments={"city": "Paris"}, seed=3)]))
    assert json.loads(answer if isinstance(answer, str) else answer.text) == ANSWER
    [seen] = fake.chats()
    assert seen.body["response_format"]["type"] == "json_schema" and seen.body["seed"] == 3


# ---- a real server (slow) ---------------------------------------------------------------------
@pytest.fixture(scope="session")
def llama_server() -> Iterator[LlamaServer]:
    """llama-cpp-python serving the embedded SmolLM2 on a free port, for the whole session."""
    missing = llama_cpp_missing()
    if missing:
        pytest.skip(missing)
    with LlamaServer.start(embedded_gguf()) as server:
        yield server


def real_engine(server: LlamaServer, **options: Any) -> OpenAIEngine:
    return OpenAIEngine(base_url=server.base_url, timeout_s=120, **options)


def real_run(engine: OpenAIEngine, requests: list[ChatRequest]) -> list[str]:
    """A generous bound: on 2 shared cores one answer took up to 20 s in the first minute."""
    return run(engine, requests, timeout=300)


@pytest.mark.slow
def test_a_real_llama_cpp_server_answers_json_that_follows_the_schema(llama_server):
    """auto lands on json_object (llama-cpp-python refuses json_schema) and the answer validates."""
    engine = real_engine(llama_server)
    [text] = real_run(engine, [chat(max_tokens=96)])
    jsonschema.validate(json.loads(text), SCHEMA)
    assert engine.format_in_use == "json_object"


@pytest.mark.slow
def test_a_real_server_answers_several_concurrent_requests(llama_server):
    """Four requests at once (the server takes them one by one): four valid answers, in order."""
    engine = real_engine(llama_server, response_format="json_object", concurrency=4)
    cities = ["Paris", "Lima", "Oslo", "Kyoto"]
    requests = [chat(messages=[MESSAGES[0], {"role": "user", "content": f'get_weather({{"city": "{c}"}})'}], max_tokens=96, seed=i) for i, c in enumerate(cities)]
    texts = real_run(engine, requests)
    assert len(texts) == 4
    for text in texts:
        jsonschema.validate(json.loads(text), SCHEMA)


@pytest.mark.slow
def test_the_same_seed_gives_the_same_answer_from_a_real_server(llama_server):
    """Greedy decoding repeats itself; so does sampling with the same seed."""
    engine = real_engine(llama_server, response_format="json_object")
    greedy = [chat(max_tokens=96, seed=5)] * 2
    first, second = real_run(engine, greedy)
    assert first == second
    sampled = chat(max_tokens=96, temperature=0.9, seed=11)
    assert real_run(engine, [sampled]) == real_run(engine, [sampled])


@pytest.mark.slow
def test_the_simulator_answers_a_call_through_a_real_server(llama_server):
    """End to end: Simulator -> ChatEngine -> HTTP -> llama.cpp, a structured answer that fits."""
    spec = ToolSpec(name="get_weather", description="Current weather in a city.", parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}, response=SCHEMA)
    with Simulator([spec], engine=real_engine(llama_server, response_format="json_object")) as simulator:
        result = simulator.simulate("get_weather", {"city": "Paris"})
    assert result.engine == "openai" and not result.is_error and result.fallback is None
    jsonschema.validate(result.structured, SCHEMA)
