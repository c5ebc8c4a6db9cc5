"""Load generator for the sign form: virtual signers arriving at a fixed rate (open loop).

Run by bench/letters_bench.py as its own process (so that it can be given its own CPU
priority and its CPU time can be read):

    python bench/signers.py HOST PORT SLUG TAG RATE SECONDS THINK [--from-loopback]
        [--retry-once] [--outcomes FILE]

Each virtual signer, started at RATE per second for SECONDS, does what a person with the page's
script does: GET the campaign page (CSRF cookie and token, the form's signed timestamp), wait
THINK seconds (past the minimum time on page), then POST the form with a new address, asking
for JSON. Every signer comes from its own random address in X-Forwarded-For (the site runs
with TRUSTED_PROXY_COUNT=1, as behind one proxy), so per-network limits apply per signer.

Open loop: signers arrive on schedule whatever the answers' latency, so a slow site shows as
latency and errors, not as a lower arrival rate (a closed loop of users would wait and hide
it). Plain asyncio and one TCP connection per request (gunicorn's sync workers close it
anyway): about two thirds of the CPU per request that locust took here (0.2 of a core at 600
requests/s), which matters on 2 cores shared with the site.

bench/cluster.py adds three options. --from-loopback: each signer connects from its own
random address in 127.64.0.0/10 (all of 127/8 is loopback) and sends no X-Forwarded-For, so
that the proxy in front (nginx) reports its real address. --retry-once: a signer whose page
or POST failed (no answer, a timeout, a 5xx) starts again once, page and POST, with the same
e-mail address, as a person would. --outcomes FILE: one JSON line per signer (its address,
result, attempts, and the time of each error, in seconds since the epoch).

Prints one JSON object: counts, status codes, signatures per second, and p50/p95/p99 in ms
for the page and the POST, measured over the signers started after the first WARMUP seconds.
"""

import argparse
import asyncio
import json
import random
import re
import secrets
import sys
import time
from urllib.parse import urlencode

WARMUP = 5.0
TIMEOUT = 30.0
FIELD = re.compile(rb'name="(csrfmiddlewaretoken|started)" value="([^"]+)"')
COOKIE = re.compile(rb"csrftoken=([^;]+)", re.IGNORECASE)
NAMES = ["José Núñez", "محمد عبد الله", "Анна Иванова", "王小明", "Grace Okafor"]


class Step:
    def __init__(
        self,
        host: str,
        port: int,
        slug: str,
        tag: str,
        *,
        from_loopback: bool = False,
        retry_once: bool = False,
    ):
        self.host, self.port, self.slug, self.tag = host, port, slug, tag
        self.from_loopback, self.retry_once = from_loopback, retry_once
        self.outcomes: list[dict] = []
        self.page_ms: list[float] = []
        self.sign_ms: list[float] = []
        self.sign_done_at: list[float] = []
        # (time of the answer, ms) of each measured accepted POST: bench/cluster.py's phases.
        self.sign_wall: list[tuple[float, float]] = []
        self.codes: dict[str, int] = {}
        self.accepted = self.refused = self.errors = 0

    def count(self, code: str) -> None:
        self.codes[code] = self.codes.get(code, 0) + 1

    async def request(
        self, method: str, path: str, headers: dict, body: bytes = b"", source: str | None = None
    ):
        """One HTTP/1.1 request on a new connection; (status, headers bytes, body bytes)."""
        local = (source, 0) if source else None
        reader, writer = await asyncio.open_connection(self.host, self.port, local_addr=local)
        try:
            lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}", "Connection: close"]
            lines += [f"{name}: {value}" for name, value in headers.items()]
            lines.append(f"Content-Length: {len(body)}")
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
            data = await reader.read()  # until the server closes (Connection: close)
        finally:
            writer.close()
        head, _, content = data.partition(b"\r\n\r\n")
        return int(head[9:12]), head, content

    async def signer(self, measured: bool, think: float) -> None:
        email = f"{self.tag}-{secrets.token_hex(8)}@example.org"
        if self.from_loopback:
            a, b, c = random.randrange(64, 128), random.randrange(256), random.randrange(1, 255)
            source = f"127.{a}.{b}.{c}"
            forwarded = {}
        else:
            source = None
            ip = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
            forwarded = {"X-Forwarded-For": ip}
        outcome = {"email": email, "started": time.time(), "attempts": 0, "errors": []}
        for attempt in range(2 if self.retry_once else 1):
            outcome["attempts"] = attempt + 1
            result = await self.attempt(measured and not attempt, think, email, source, forwarded)
            if result != "error":
                break
            outcome["errors"].append(time.time())
        outcome["result"] = result
        outcome["answered"] = time.time()
        self.outcomes.append(outcome)

    async def attempt(self, measured, think, email, source, forwarded) -> str:
        """One try: the page, the wait, the POST; "accepted", "refused" or "error"."""
        page_path = f"/campaigns/{self.slug}/"
        try:
            started = time.perf_counter()
            status, head, content = await asyncio.wait_for(
                self.request("GET", page_path, dict(forwarded), source=source), TIMEOUT
            )
            if measured:
                self.page_ms.append((time.perf_counter() - started) * 1000)
            fields = {k.decode(): v.decode() for k, v in FIELD.findall(content)}
            cookie = COOKIE.search(head)
            if status != 200 or len(fields) < 2 or not cookie:
                self.errors += 1
                self.count(f"page-{status}")
                return "error"
            await asyncio.sleep(think)
            body = urlencode(
                {
                    **fields,
                    "name": random.choice(NAMES),
                    "email": email,
                    "country": "MX",
                    "city": "Puebla",
                    "message": "",
                    "consent_share_name": "on",
                    "leave_empty": "",
                }
            ).encode()
            headers = {
                **forwarded,
                "Accept": "application/json",
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={cookie.group(1).decode()}",
                "Referer": f"http://{self.host}:{self.port}{page_path}",
            }
            started = time.perf_counter()
            status, _head, content = await asyncio.wait_for(
                self.request("POST", f"/campaigns/{self.slug}/sign/", headers, body, source),
                TIMEOUT,
            )
            done = time.perf_counter()
        except (TimeoutError, OSError, ValueError):
            self.errors += 1
            self.count("0")
            return "error"
        self.count(str(status))
        if status == 200 and b'"ok"' in content:
            self.accepted += 1
            if measured:
                self.sign_ms.append((done - started) * 1000)
                self.sign_done_at.append(done)
                self.sign_wall.append((time.time(), (done - started) * 1000))
            return "accepted"
        if status in (400, 429):
            self.refused += 1
            return "refused"
        self.errors += 1
        return "error"


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"requests": 0}
    values = sorted(values)

    def at(q: float) -> float:
        return round(values[min(len(values) - 1, int(q * len(values)))], 1)

    return {"requests": len(values), "p50_ms": at(0.5), "p95_ms": at(0.95), "p99_ms": at(0.99)}


async def run(step: Step, rate: float, seconds: float, think: float) -> dict:
    tasks = []
    begin = time.perf_counter()
    total = int(rate * seconds)
    for n in range(total):
        # On schedule: the n-th signer arrives at n / rate, however the site is doing.
        delay = begin + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        measured = n / rate >= WARMUP
        tasks.append(asyncio.create_task(step.signer(measured, think)))
    await asyncio.gather(*tasks)
    done = step.sign_done_at
    span = (max(done) - min(done)) if len(done) > 1 else 0
    return {
        "signers": total,
        "accepted": step.accepted,
        "refused": step.refused,
        "errors": step.errors,
        "status_codes": step.codes,
        # Accepted signatures of the measured signers over the time their answers came in.
        "signatures_per_second": round((len(done) - 1) / span, 1) if span else None,
        "sign": percentiles(step.sign_ms),
        "campaign_page": percentiles(step.page_ms),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench/signers.py")
    for name in ("host", "port", "slug", "tag", "rate", "seconds", "think"):
        parser.add_argument(name)
    parser.add_argument("--from-loopback", action="store_true")
    parser.add_argument("--retry-once", action="store_true")
    parser.add_argument("--outcomes")
    args = parser.parse_args(argv)
    host, port, slug, tag = args.host, args.port, args.slug, args.tag
    rate, seconds, think = args.rate, args.seconds, args.think
    step = Step(
        host, int(port), slug, tag, from_loopback=args.from_loopback, retry_once=args.retry_once
    )
    cpu_before, wall_before = time.process_time(), time.monotonic()
    result = asyncio.run(run(step, float(rate), float(seconds), float(think)))
    wall = time.monotonic() - wall_before
    result["generator_cpu_share_of_one_core"] = round((time.process_time() - cpu_before) / wall, 2)
    if args.outcomes:
        with open(args.outcomes, "w") as handle:
            for outcome in step.outcomes:
                handle.write(json.dumps(outcome) + "\n")
            for answered, ms in step.sign_wall:
                handle.write(json.dumps({"post_answered": answered, "ms": ms}) + "\n")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
