"""A small Chrome DevTools Protocol client for the browser tests: Debian's headless chromium.

One :class:`Browser` per test module.  It starts ``chromium --headless`` on a free port (read
from the ``DevTools listening on ws://...`` line of its stderr), attaches one page target over
the flattened protocol and records every event, so a test can load a file and then ask what
the page logged and requested.  Network requests to http(s) are blocked.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import tempfile
import time

LISTENING = re.compile(r"DevTools listening on (ws://\S+)")


def chromium_path() -> str | None:
    """The chromium executable, or None when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """Headless chromium with one page, driven over one websocket."""

    def __init__(self, timeout: float = 30.0):
        import websocket

        self.profile = tempfile.mkdtemp(prefix="roisim-chromium-")
        self.proc = subprocess.Popen(
            [chromium_path(), "--headless", "--no-sandbox", "--disable-gpu",
             "--remote-debugging-port=0", f"--user-data-dir={self.profile}",
             "--host-resolver-rules=MAP * ~NOTFOUND", "--no-first-run", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        url = self._wait_for_url(timeout)
        self.ws = websocket.create_connection(url, timeout=timeout, suppress_origin=True)
        self.next_id, self.events = 0, []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target,
                                 flatten=True)["sessionId"]
        for domain in ("Page", "Network", "Log", "Runtime"):
            self.page(f"{domain}.enable")
        self.page("Network.setBlockedURLs", urls=["http://*", "https://*"])

    def _wait_for_url(self, timeout: float) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            line = self.proc.stderr.readline()
            found = LISTENING.search(line or "")
            if found:
                return found.group(1)
            if not line and self.proc.poll() is not None:
                break
        raise RuntimeError("chromium did not print its DevTools address")

    def call(self, method: str, session: str | None = None, **params) -> dict:
        """Send one command and wait for its answer, recording the events that arrive first."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def page(self, method: str, **params) -> dict:
        """A command to the page target."""
        return self.call(method, self.session, **params)

    def load(self, url: str, timeout: float = 30.0) -> None:
        """Navigate to ``url`` and wait for its load event; the events start afresh."""
        self.events = []
        self.page("Page.navigate", url=url)
        end = time.monotonic() + timeout
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            if time.monotonic() > end:
                raise TimeoutError(f"{url} did not load")
            self.events.append(json.loads(self.ws.recv()))

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page (returned by value)."""
        out = self.page("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in out:
            raise RuntimeError(out["exceptionDetails"])
        return out["result"].get("value")

    def named(self, method: str) -> list[dict]:
        """The params of every recorded event called ``method``."""
        return [e["params"] for e in self.events if e.get("method") == method]

    def screenshot(self, width: int = 1100) -> bytes:
        """A PNG of the whole page at ``width`` CSS pixels."""
        height = int(self.evaluate("document.documentElement.scrollHeight"))
        self.page("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=False)
        shot = self.page("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        self.page("Emulation.clearDeviceMetricsOverride")
        return base64.b64decode(shot["data"])

    def pdf(self) -> bytes:
        """The page printed to PDF on A4 (the page's own ``@page`` size is honoured)."""
        out = self.page("Page.printToPDF", paperWidth=8.27, paperHeight=11.69,
                        preferCSSPageSize=True, printBackground=True)
        return base64.b64decode(out["data"])

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            shutil.rmtree(self.profile, ignore_errors=True)
