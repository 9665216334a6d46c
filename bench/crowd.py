"""A shared link goes viral in a WeChat group: the project page under a crowd, served the production way.

gunicorn (sync workers, persistent database connections), DEBUG off, PostgreSQL, Redis as cache. wrk sends
GET /p/<id>/ for VISITORS anonymous visitors, each with its own visitor cookie; half arrived through a
consultant's share link (their requests carry `?s=<code>`, so every one of them goes through the binding
check), the other half were given a consultant by the rotation on a first visit (their signed rotation
cookie is replayed). In the same run, against the same server, wrk loads `/bench/hello`, a bare view behind
exactly the same middleware, with the same cookies. Printed:
- `project_page_rps`, `hello_rps` and `page_ratio` = project_page_rps / hello_rps (target ≥ 0.5);
- `card_checks` / `card_mismatches`: while the crowd runs, a checker re-requests pages of sampled visitors
  and compares the consultant card with the one that visitor must see (the share link's owner, or the
  rotation's first choice) — the target is 0 mismatches.
wrk and the server share this machine's cores, so absolute figures depend on the machine; the ratio is
measured in one run, against one server, and is what to compare from run to run.

Needs the Debian package wrk (`make bench` installs it when it may). Limits: VISITORS cookies, CONNECTIONS
open connections (far under this machine's 20,000 open files per process).
"""

import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._setup import gunicorn_served, log  # noqa: E402

VISITORS = 2000
CONNECTIONS = 32
WRK_THREADS = 2
SECONDS = 5
ROUNDS = 5
CHECKS_PER_SECOND = 10
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
CARD = re.compile(rb'data-consultant="(\d+)"')



def get(url: str, cookie: str = "", address: str = "") -> tuple[bytes, list[str]]:
    headers = {"Cookie": cookie} if cookie else {}
    if address:
        headers["X-Forwarded-For"] = address
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read(), response.headers.get_all("Set-Cookie") or []


def first_visits(base: str, page: str, shares: list[tuple[str, int]]) -> list[dict]:
    """Each visitor's first page view, sequentially: their cookies, path and the card they must keep seeing."""
    visitors = []
    for n in range(VISITORS):
        # A crowd from many networks, as the proxy in front of the app reports them (TRUSTED_PROXY_COUNT=1).
        visitor = {"cookie": f"yl_vid={uuid.uuid4()}", "address": f"10.{n // 65_536}.{n // 256 % 256}.{n % 256}"}
        if n % 2 == 0:
            code, owner = shares[(n // 2) % len(shares)]
            visitor["path"], visitor["expected"] = f"{page}?s={code}", owner
        else:
            visitor["path"] = page
        body, set_cookies = get(base + visitor["path"], visitor["cookie"], visitor["address"])
        shown = int(CARD.search(body)[1])
        if "expected" in visitor and shown != visitor["expected"]:
            raise SystemExit(f"a share-link visitor saw consultant {shown}, not {visitor['expected']}")
        visitor["expected"] = shown
        for header in set_cookies:  # what a phone's browser keeps: rotation choice, binding note, CSRF cookie
            name_value = header.split(";", 1)[0]
            if name_value.startswith(("yl_cc", "yl_b", "csrftoken=")):
                visitor["cookie"] += f"; {name_value}"
        visitors.append(visitor)
    return visitors


def lua_script(visitors: list[dict], path_override: str | None) -> str:
    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    paths = ",".join(quoted(path_override or v["path"]) for v in visitors)
    cookies = ",".join(quoted(v["cookie"]) for v in visitors)
    addresses = ",".join(quoted(v["address"]) for v in visitors)
    return f"""
local paths = {{{paths}}}
local cookies = {{{cookies}}}
local addresses = {{{addresses}}}
local n = #paths
local i = 0
init = function(args) math.randomseed(os.time() + tonumber(tostring({{}}):sub(8), 16)); i = math.random(n) end
request = function()
  i = i % n + 1
  return wrk.format("GET", paths[i], {{["Cookie"] = cookies[i], ["X-Forwarded-For"] = addresses[i]}})
end
"""


def server_cpu_seconds(server: subprocess.Popen) -> float:
    """CPU time used so far by gunicorn's master and workers (Linux /proc), to see a request's cost apart from
    wrk's and from whatever else this machine is doing."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = subprocess.run(["pgrep", "-g", str(server.pid)], capture_output=True, text=True).stdout.split()
    total = 0
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def run_wrk(base: str, script: str, seconds: int, server: subprocess.Popen | None = None) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    cpu_before = server_cpu_seconds(server) if server else 0.0
    try:
        output = subprocess.run(
            ["wrk", "-t", str(WRK_THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--latency", "-s", file.name,
             base + "/"],
            capture_output=True, text=True, check=True,
        ).stdout
    finally:
        os.unlink(file.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])
    requests = int(re.search(r"(\d+) requests in", output)[1])
    cpu_ms = (server_cpu_seconds(server) - cpu_before) * 1000 / requests if server and requests else None
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    scale = {"us": 0.001, "ms": 1, "s": 1000}
    return {"rps": rps, "server_cpu_ms": cpu_ms, "non_2xx": int(errors[1]) if errors else 0,
            "socket_errors": socket_errors[1] if socket_errors else "", "p99_ms": float(p99[1]) * scale[p99[2]]}


def settle(database_url: str) -> None:
    """The first visits wrote a binding each: have PostgreSQL's statistics caught up now, rather than have
    autovacuum do it in the middle of a measurement."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE crm_binding, crm_customervisitor")


def median_cpu(runs: list[dict]) -> float | None:
    figures = sorted(run["server_cpu_ms"] for run in runs if run["server_cpu_ms"] is not None)
    return round(figures[len(figures) // 2], 3) if figures else None


def median_run(runs: list[dict]) -> dict:
    ordered = sorted(runs, key=lambda run: run["rps"])
    middle = ordered[len(ordered) // 2]
    return {**middle, "non_2xx": sum(run["non_2xx"] for run in runs), "all_rps": [run["rps"] for run in runs]}


def check_cards(base: str, visitors: list[dict], stop: threading.Event, tally: dict) -> None:
    """While the crowd runs, re-request sampled visitors' pages, CHECKS_PER_SECOND of them: a steady trickle
    through both the page's and the baseline's rounds, so that it weighs on both sides of the ratio alike."""
    sample = random.Random(7).sample(visitors, 200)
    while not stop.is_set():
        for visitor in sample:
            if stop.wait(1 / CHECKS_PER_SECOND):
                break
            body, _cookies = get(base + visitor["path"], visitor["cookie"], visitor["address"])
            tally["checks"] += 1
            if int(CARD.search(body)[1]) != visitor["expected"]:
                tally["mismatches"] += 1


def crowd_figures(*, database_url: str, redis_url: str, project_id: int, shares: list[tuple[str, int]]) -> dict:
    """Serve, load, and return the crowd's figures (called by bench/showroom.py after seeding)."""
    if shutil.which("wrk") is None:
        raise SystemExit("the crowd benchmark needs wrk: run `make bench` as root, or apt-get install wrk")
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "DJANGO_DEBUG": "0",
           "DJANGO_SETTINGS_MODULE": "bench.settings", "CONN_MAX_AGE": "600", "TRUSTED_PROXY_COUNT": "1"}
    page = f"/p/{project_id}/"
    with gunicorn_served(env=env, workers=WORKERS, ready_path="/bench/hello") as (base, server):
        log(f"crowd: gunicorn with {WORKERS} sync workers at {base}; first visits of {VISITORS} visitors…")
        visitors = first_visits(base, page, shares)
        settle(database_url)
        run_wrk(base, lua_script(visitors, None), 5)  # warm every worker's connections and caches
        run_wrk(base, lua_script(visitors, "/bench/hello"), 2)
        stop, tally = threading.Event(), {"checks": 0, "mismatches": 0}
        checker = threading.Thread(target=check_cards, args=(base, visitors, stop, tally))
        checker.start()
        # Alternate the two loads and take the median of each, so that a passing disturbance on this shared
        # machine (another process, PostgreSQL's autovacuum) does not land on one side of the ratio only.
        page_runs, hello_runs = [], []
        for _round in range(ROUNDS):
            page_runs.append(run_wrk(base, lua_script(visitors, None), SECONDS, server))
            hello_runs.append(run_wrk(base, lua_script(visitors, "/bench/hello"), SECONDS, server))
        stop.set()
        checker.join()
    page_load, hello_load = median_run(page_runs), median_run(hello_runs)
    log(f"crowd: project page {page_load}; hello {hello_load}; cards {tally}")
    return {
        "project_page_rps": round(page_load["rps"], 1), "hello_rps": round(hello_load["rps"], 1),
        "project_page_rps_runs": page_load["all_rps"], "hello_rps_runs": hello_load["all_rps"],
        "page_ratio": round(page_load["rps"] / hello_load["rps"], 3),
        "project_page_p99_ms": page_load["p99_ms"], "hello_p99_ms": hello_load["p99_ms"],
        "project_page_server_cpu_ms": median_cpu(page_runs), "hello_server_cpu_ms": median_cpu(hello_runs),
        "crowd_non_2xx": page_load["non_2xx"] + hello_load["non_2xx"],
        "card_checks": tally["checks"], "card_mismatches": tally["mismatches"],
        "crowd_visitors": VISITORS, "crowd_connections": CONNECTIONS, "gunicorn_workers": WORKERS,
    }
