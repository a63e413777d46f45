"""Teacher throughput against the stand-in server, and the cost of a fully cached re-run.

    python bench/generate_throughput.py [--requests 1000] [--latency 0.2] [--concurrency 16]
                                        [--cached 10000]

1. N requests through the real SDK to the stand-in with a fixed latency, at the configured
   concurrency: wall time against the ideal N * latency / concurrency.
2. The generate stage on a copy of the sample with enough samples per prompt for ~10,000
   jobs: first run against the stand-in (no latency), then the re-run, which replays every
   answer from the cache: its wall time and the number of calls (should be 0).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from scripts.workspace import copy_project, set_params  # noqa: E402
from stages.core.jsonl import read_jsonl  # noqa: E402
from stages.core.log import last_run  # noqa: E402
from stages.core.params import load_params  # noqa: E402
from stages.teacher.anthropic import AnthropicProvider  # noqa: E402
from stages.teacher.cache import ResponseCache  # noqa: E402
from stages.teacher.client import Budget, Teacher  # noqa: E402
from stages.teacher.types import Request  # noqa: E402


class StandInProcess:
    """The stand-in in a process of its own, so it shares no GIL with the client."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.anthropic_standin", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.url = self.proc.stdout.readline().strip()

    def __enter__(self) -> StandInProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.kill()
        self.proc.wait()


def throughput(n: int, latency: float, concurrency: int) -> tuple[float, float, float]:
    params = load_params("teacher", ROOT / "params.yaml")["anthropic"] | {
        "concurrency": concurrency,
        "max_retries": 0,
    }
    with StandInProcess("--latency", str(latency)) as server, tempfile.TemporaryDirectory() as tmp:
        os.environ["ANTHROPIC_BASE_URL"] = server.url
        os.environ.setdefault("ANTHROPIC_API_KEY", "bench-key")
        teacher = Teacher(
            AnthropicProvider(params, stage="bench"), ResponseCache(tmp), Budget(None, None)
        )
        requests = [Request("s", (("user", f"request {i} - 2-2 messages"),), 100) for i in range(n)]
        start = time.perf_counter()
        teacher.provider.client()  # importing the SDK: a one-off, reported apart
        setup = time.perf_counter() - start
        start = time.perf_counter()
        teacher.ask(requests)
        wall = time.perf_counter() - start
    return wall, n * latency / concurrency, setup


def raw_sdk(n: int, latency: float, concurrency: int) -> float:
    """The same calls through the bare SDK in a thread pool: the floor for any wrapper."""
    import anthropic

    with StandInProcess("--latency", str(latency)) as server:
        client = anthropic.Anthropic(base_url=server.url, api_key="bench-key", max_retries=0)
        body = {"model": "claude-sonnet-5-5", "max_tokens": 100}

        def call(i: int) -> None:
            client.messages.create(messages=[{"role": "user", "content": f"request {i}"}], **body)

        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(call, range(n)))
        return time.perf_counter() - start


def cached_rerun(target: int) -> tuple[int, float, float, int]:
    with StandInProcess("--vary") as server, tempfile.TemporaryDirectory() as tmp:
        repo = copy_project(Path(tmp))
        env = dict(
            os.environ,
            ANTHROPIC_BASE_URL=server.url,
            ANTHROPIC_API_KEY=os.environ.get("ANTHROPIC_API_KEY", "bench-key"),
        )
        run = lambda stage: subprocess.run(  # noqa: E731
            [sys.executable, "-m", f"stages.{stage}"],
            cwd=repo,
            env=env,
            check=True,
            capture_output=True,
        )
        run("extract")
        run("curate")
        pairs = sum(len(p["templates"]) for p in read_jsonl(repo / "data/curated/passages.jsonl"))
        set_params(
            repo,
            teacher__provider="anthropic",
            teacher__budget={"max_usd": None, "max_requests": None},
            teacher__anthropic__concurrency=16,
            generate__samples_per_prompt=-(-target // pairs),
        )
        start = time.perf_counter()
        run("generate")
        first = time.perf_counter() - start
        start = time.perf_counter()
        run("generate")
        again = time.perf_counter() - start
        m = json.loads((repo / "metrics/generate.json").read_text())
        calls = last_run("generate", repo / "logs/runs.jsonl")["calls"]  # of the cached re-run
        shutil.rmtree(repo / "data/cache", ignore_errors=True)
        return m["jobs"], first, again, calls


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--cached", type=int, default=10000)
    args = ap.parse_args()
    wall, ideal, setup = throughput(args.requests, args.latency, args.concurrency)
    print(
        f"teacher throughput: {args.requests} requests, {args.latency * 1000:.0f} ms latency, "
        f"concurrency {args.concurrency}, {os.cpu_count()} cores"
    )
    print(
        f"  wall {wall:.2f} s, ideal {ideal:.2f} s ({100 * (wall / ideal - 1):+.1f}% over ideal); "
        f"SDK import and client set-up before it {setup:.2f} s"
    )
    bare = raw_sdk(args.requests, args.latency, args.concurrency)
    print(f"  bare SDK, same calls: {bare:.2f} s ({100 * (bare / ideal - 1):+.1f}% over ideal)")
    jobs, first, again, calls = cached_rerun(args.cached)
    print(
        f"generate stage with {jobs} jobs against the stand-in: first run {first:.1f} s, "
        f"cached re-run {again:.1f} s with {calls} calls"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
