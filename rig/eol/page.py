"""The operator page: what the station is doing, on 127.0.0.1, for someone who is not an engineer.

One page, no build step: Starlette serves the HTML (inline CSS and a few lines of JavaScript),
``/state`` (JSON) and ``/events`` (server-sent events: the whole state after every change, so a
page that reconnects is never out of date). uvicorn runs it in a thread of the station; the
station's listener (:meth:`OperatorPage.on_event`) updates the state from the station's thread.

What it shows: the unit's serial and attempt, each step of the plan as it runs, a large PASS /
FAIL / REFUSED / RIG ERROR, the failing requirement in plain words and what to do, the last
message (a bad scan, a printer offline), the shift's counters, and the calibration state of
every instrument of the rig file.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, StreamingResponse
from starlette.routing import Route

#: Seconds between keep-alive comments on an idle event stream (proxies drop silent streams).
KEEPALIVE_S = 15.0

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>EOL station</title>
<style>
 body{font-family:sans-serif;margin:0;background:#f4f4f4;color:#111}
 header{background:#222;color:#fff;padding:.6em 1em;display:flex;gap:2em;font-size:1.1em}
 main{display:grid;grid-template-columns:2fr 1fr;gap:1em;padding:1em}
 section{background:#fff;border-radius:6px;padding:1em}
 #serial{font-size:2.4em;font-weight:bold;letter-spacing:.05em}
 #verdict{font-size:7em;font-weight:bold;text-align:center;border-radius:8px;margin:.2em 0;
   padding:.1em}
 #verdict.PASS{background:#1a7f37;color:#fff} #verdict.FAIL{background:#c62828;color:#fff}
 #verdict.REFUSED{background:#ef6c00;color:#fff} #verdict.ERROR{background:#6a1b9a;color:#fff}
 #verdict.TESTING{background:#1565c0;color:#fff;font-size:4em} #verdict.WAITING{color:#777;
   font-size:3em}
 #advice li{font-size:1.3em;margin:.4em 0} #advice .todo{font-weight:bold}
 #disposition{font-size:1.6em;font-weight:bold;text-align:center}
 #message{font-size:1.2em;color:#c62828;min-height:1.4em}
 ul.steps{list-style:none;padding:0} ul.steps li{padding:.2em 0}
 .running::before{content:"\\25B6  "} .passed::before{content:"\\2714  ";color:#1a7f37}
 .failed::before{content:"\\2716  ";color:#c62828}
 table{border-collapse:collapse} td{padding:.15em .6em} .overdue{color:#c62828;font-weight:bold}
</style></head><body>
<header><span id="station"></span><span id="operator"></span><span id="clock"></span></header>
<main>
 <section>
  <div id="serial">&mdash;</div><div id="attempt"></div>
  <div id="verdict" class="WAITING">SCAN A UNIT</div>
  <div id="disposition"></div>
  <div id="reason"></div>
  <ul id="advice"></ul>
  <div id="message"></div>
  <ul class="steps" id="steps"></ul>
 </section>
 <section>
  <h3>Shift</h3><table id="counters"></table>
  <h3>Instruments</h3><table id="calibration"></table>
 </section>
</main>
<script>
const D = {passed:"Label it and box it.", retest:"Test it again (a retest is allowed).",
           repair:"Take the unit to repair.", refused:"Put the unit aside; call a supervisor.",
           rig_error:"The rig failed: test the unit again; if it repeats, call the engineer."};
const T = {PASS:"PASS", FAIL:"FAIL", REFUSED:"REFUSED", ERROR:"RIG ERROR",
           TESTING:"TESTING", WAITING:"SCAN A UNIT"};
function text(id, value){ document.getElementById(id).textContent = value; }
function rows(id, items){
  const table = document.getElementById(id); table.replaceChildren();
  for (const [k, v, cls] of items){
    const tr = table.insertRow(); tr.insertCell().textContent = k;
    const td = tr.insertCell(); td.textContent = v; if (cls) td.className = cls;
  }
}
function show(s){
  text("station", "Station " + s.station + " / fixture " + s.fixture);
  text("operator", "Operator " + s.operator);
  text("serial", s.serial || "\\u2014");
  text("attempt", s.attempt ? "attempt " + s.attempt : "");
  const v = document.getElementById("verdict");
  v.className = s.verdict; v.textContent = T[s.verdict] || s.verdict;
  text("disposition", D[s.disposition] || "");
  text("reason", s.reason || "");
  const advice = document.getElementById("advice"); advice.replaceChildren();
  for (const a of s.advice){
    const li = document.createElement("li");
    li.textContent = a.requirement + ": " + a.what + " ";
    const todo = document.createElement("span"); todo.className = "todo";
    todo.textContent = "What to do: " + a.todo; li.appendChild(todo); advice.appendChild(li);
  }
  text("message", s.message || "");
  const steps = document.getElementById("steps"); steps.replaceChildren();
  for (const st of s.steps){
    const li = document.createElement("li"); li.className = st.state;
    li.textContent = st.step.replaceAll("_", " "); steps.appendChild(li);
  }
  const c = s.counters;
  rows("counters", [["tested", c.tested], ["passed", c.passed],
    ["first-pass", c.first_pass], ["failed", c.failed], ["refused", c.refused],
    ["rig errors", c.errors]]);
  rows("calibration", s.calibration.map(i => [i.role + " (" + i.model + ")",
    i.due ? "due " + i.due + " " + i.state : i.state, i.state === "overdue" ? "overdue" : ""]));
}
const source = new EventSource("events");
source.onmessage = e => show(JSON.parse(e.data));
setInterval(() => text("clock", new Date().toLocaleTimeString()), 1000);
</script></body></html>
"""


class OperatorPage:
    """The page's state, its Starlette app and the uvicorn server thread."""

    def __init__(self, station: str, fixture: str, operator: str,
                 calibration: list[dict[str, Any]] | None = None,
                 records_url: str | None = None):
        self.records_url = records_url
        self.state: dict[str, Any] = {
            "station": station, "fixture": fixture, "operator": operator, "serial": None,
            "attempt": None, "verdict": "WAITING", "disposition": "", "reason": "",
            "advice": [], "steps": [],
            "message": "", "counters": {"tested": 0, "passed": 0, "first_pass": 0,
                                        "failed": 0, "refused": 0, "errors": 0},
            "calibration": calibration or [], "updated": time.time(),
        }
        self._lock = threading.Lock()
        self._subscribers: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[str]]] = []
        self.app = Starlette(routes=[
            Route("/", self._index), Route("/state", self._state),
            Route("/events", self._events), Route("/line", self._line),
        ])
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # ---- the station's listener ---------------------------------------------------------------
    def on_event(self, event: dict[str, Any]) -> None:
        with self._lock:
            s = self.state
            kind = event.get("type")
            if kind == "unit" and event.get("state") == "scanned":
                s.update(serial=event["serial"], attempt=event.get("attempt"), verdict="TESTING",
                         disposition="", reason="", advice=[], steps=[], message="")
            elif kind == "unit" and event.get("state") == "testing":
                s["verdict"] = "TESTING"
            elif kind == "step":
                steps = [st for st in s["steps"] if st["step"] != event["step"]]
                index = next((i for i, st in enumerate(s["steps"])
                              if st["step"] == event["step"]), len(s["steps"]))
                steps.insert(index, {"step": event["step"], "state": event["state"]})
                s["steps"] = steps
            elif kind == "result":
                s.update(serial=event["serial"], attempt=event.get("attempt"),
                         verdict=event["outcome"], disposition=event.get("disposition", ""),
                         reason=event.get("reason", ""),
                         advice=event.get("advice", []), counters=event["counters"])
                label = event.get("label") or {}
                if label and not label.get("printed", True):
                    s["message"] = label.get("error", "")
            elif kind == "message":
                s["message"] = event.get("text", "")
            elif kind == "station":
                s["counters"] = event.get("counters", s["counters"])
            s["updated"] = time.time()
            text = json.dumps(s, default=str)
            subscribers = list(self._subscribers)
        for loop, queue in subscribers:
            loop.call_soon_threadsafe(queue.put_nowait, text)

    # ---- HTTP ---------------------------------------------------------------------------------
    async def _index(self, request: Request) -> HTMLResponse:
        return HTMLResponse(PAGE)

    def _line(self, request: Request) -> HTMLResponse:
        """Line statistics (``rig line``) as a page: yield, failures, Cp/Cpk, histograms.
        A plain function: Starlette runs it in a worker thread (the store is blocking I/O)."""
        return HTMLResponse(line_page(self.records_url, request.query_params.get("station")))

    async def _state(self, request: Request) -> JSONResponse:
        with self._lock:
            return JSONResponse(json.loads(json.dumps(self.state, default=str)))

    async def _events(self, request: Request) -> StreamingResponse:
        queue: asyncio.Queue[str] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        with self._lock:
            self._subscribers.append((loop, queue))
            queue.put_nowait(json.dumps(self.state, default=str))

        async def stream() -> Any:
            try:
                while True:
                    try:
                        text = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                    except TimeoutError:
                        yield ": keep-alive\n\n"
                        continue
                    yield f"data: {text}\n\n"
            finally:
                with self._lock:
                    self._subscribers.remove((loop, queue))

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})

    # ---- the server thread --------------------------------------------------------------------
    def start(self, port: int = 0) -> OperatorPage:
        """Listen on 127.0.0.1:``port`` (0: any free port, then :attr:`port`)."""
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # the station owns the signals
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name="eol-operator-page", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)


def line_page(records_url: str | None, station: str | None = None) -> str:
    """The line statistics of the record store as one HTML page (histograms inline)."""
    import base64
    import html

    from rig.eol import stats
    from rig.records import RecordStore

    esc = html.escape
    with RecordStore(records_url) as store:
        y = stats.yields(store, station=station)
        rows = []
        for rid, name in stats.KEY_MEASUREMENTS:
            values, limits = stats.samples(store, rid, name, station=station)
            rows.append((rid, name, values, limits,
                         stats.capability(values, limits["low"], limits["high"])))

    def num(x: Any, spec: str = ".4g") -> str:
        return "-" if x is None else format(x, spec)

    def pct(x: float | None) -> str:
        return "-" if x is None else f"{100 * x:.1f} %"

    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Line statistics"
        "</title><style>body{font-family:sans-serif;margin:1em}td,th{padding:.2em .6em;"
        "text-align:right}img{max-width:32em}</style></head><body><h1>Line statistics</h1>",
        f"<p id='yield'>Units judged: {y['units']}. First-pass yield: "
        f"<b>{pct(y['first_pass_yield'])}</b> ({y['first_pass']}/{y['units']}); final yield: "
        f"<b>{pct(y['final_yield'])}</b> ({y['final_pass']}/{y['units']}). Refused "
        f"{y['refused']}, rig errors {y['rig_errors']}.</p>",
        "<h2>Failures by requirement</h2><table id='by-requirement'>",
        *(f"<tr><td>{esc(r)}</td><td>{n}</td></tr>"
          for r, n in y["failures_by_requirement"].items()),
        "</table><h2>Failures by hour</h2><table id='by-hour'>",
        *(f"<tr><td>{esc(h)}</td><td>{n}</td></tr>" for h, n in y["failures_by_hour"].items()),
        f"</table><h2>Process capability</h2><p>Cp = (USL - LSL) / 6s, Cpk = min(USL - mean, "
        f"mean - LSL) / 3s; shown from n &gt;= {stats.MIN_SAMPLES} values.</p>"
        "<table id='cpk'><tr><th>measurement</th><th>n</th><th>mean</th><th>s</th><th>LSL</th>"
        "<th>USL</th><th>Cp</th><th>Cpk</th><th></th></tr>",
    ]
    plots = []
    for rid, name, values, limits, cap in rows:
        parts.append(
            f"<tr><td>{esc(rid)} {esc(name)}</td><td>{cap['n']}</td><td>{num(cap['mean'])}</td>"
            f"<td>{num(cap['s'])}</td><td>{num(limits['low'])}</td><td>{num(limits['high'])}</td>"
            f"<td>{num(cap['cp'], '.2f')}</td><td>{num(cap['cpk'], '.2f')}</td>"
            f"<td>{esc(cap['why'])}</td></tr>")
        if values:
            png = stats.histogram(values, limits, f"{rid} {name} (n = {len(values)})")
            plots.append(f"<img alt='{esc(rid)} {esc(name)}' src='data:image/png;base64,"
                         f"{base64.b64encode(png).decode()}'>")
    parts += ["</table><h2>Histograms against the limits</h2>", *plots, "</body></html>"]
    return "\n".join(parts)
