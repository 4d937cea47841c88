"""TensorBoard in headless Chromium, for the README screenshots and the test that looks at them.

Only the standard library: Chromium is driven through its DevTools protocol over a WebSocket
(the few frames that protocol needs are written by hand below), so neither the screenshots nor
the test add a browser-automation dependency. Chromium is Debian's ``chromium`` package.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--mute-audio"]

# The visible text of a page (and its title attributes), shadow roots included (TensorBoard's HPARAMS, TEXT and IMAGES tabs
# are Polymer elements, whose content a plain DOM dump does not show).
DEEP_TEXT_JS = """(() => {
  const parts = [document.body.innerText];
  const walk = (root) => {
    for (const element of root.querySelectorAll('*')) {
      // Time Series draws a tag as <tb-truncated-path title="train/acc"> around split spans.
      if (element.title) parts.push(element.title);
      if (element.shadowRoot) {
        for (const child of element.shadowRoot.children) {
          if (child.innerText) parts.push(child.innerText);
        }
        walk(element.shadowRoot);
      }
    }
  };
  walk(document);
  return parts.join('\\n');
})()"""


def find_chromium() -> str | None:
    """The Chromium executable on PATH (``chromium``, ``chromium-browser`` or ``google-chrome``)."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def free_port() -> int:
    """A TCP port that nothing on 127.0.0.1 listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, timeout: float = 5.0, data: bytes | None = None) -> bytes:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


@contextlib.contextmanager
def tensorboard(logdir: str | Path, port: int | None = None, timeout: float = 120.0) -> Iterator[str]:
    """Start ``tensorboard --logdir`` on 127.0.0.1 (this interpreter's TensorBoard); yields its URL
    once it answers and has read the runs; stops it afterwards.

    Raises:
        RuntimeError: TensorBoard exited or did not answer within ``timeout`` seconds (its output).
    """
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir), "--host",
                                    "127.0.0.1", "--port", str(port), "--reload_interval", "2"],
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"TensorBoard did not start on {url}:\n{log.read().decode(errors='replace')}")
                try:
                    if json.loads(_get(f"{url}/data/runs")):
                        break
                except (OSError, ValueError):
                    pass
                time.sleep(0.5)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


class _WebSocket:
    """The client side of RFC 6455, as much of it as the DevTools protocol uses (text frames)."""

    def __init__(self, url: str, timeout: float) -> None:
        rest = url.removeprefix("ws://")
        address, _, path = rest.partition("/")
        host, _, port = address.partition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /{path} HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("the browser closed the DevTools connection")
            response += chunk
        if b" 101 " not in response.split(b"\r\n", 1)[0]:
            raise ConnectionError(f"no WebSocket upgrade: {response[:200]!r}")
        self.buffer = response.split(b"\r\n\r\n", 1)[1]

    def send(self, text: str) -> None:
        payload = text.encode()
        header = bytes([0x81])  # FIN + text
        n = len(payload)
        header += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n) if n < 65536 \
            else bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("the browser closed the DevTools connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def receive(self) -> str:
        message = b""
        while True:
            first, second = self._read(2)
            n = second & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(n)  # a server never masks its frames
            opcode = first & 0x0F
            if opcode == 0x8:
                raise ConnectionError("the browser closed the DevTools connection")
            if opcode in (0x9, 0xA):  # ping / pong: not used by Chromium's DevTools server
                continue
            message += payload
            if first & 0x80:
                return message.decode()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class HeadlessChromium:
    """A headless Chromium page driven through the DevTools protocol.

    Args:
        width, height: the window, in CSS pixels.
        executable: the browser (default :func:`find_chromium`).
        timeout: seconds to wait for the browser and for each command.
    """

    def __init__(self, width: int = 1600, height: int = 1000, executable: str | None = None,
                 timeout: float = 60.0) -> None:
        executable = executable or find_chromium()
        if executable is None:
            raise FileNotFoundError("no chromium on PATH (Debian: apt-get install -y chromium)")
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="nnframe-chromium-")
        self.process = subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", f"--window-size={width},{height}",
             "--remote-debugging-port=0", "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (port_file.is_file() and port_file.read_text().strip()):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"{executable} did not start its DevTools server")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        pages = [t for t in json.loads(_get(f"http://127.0.0.1:{port}/json/list")) if t["type"] == "page"]
        self.ws = _WebSocket(pages[0]["webSocketDebuggerUrl"], timeout)
        self._id = 0
        self.command("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                     mobile=False)

    def command(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and return its result (events in between are skipped)."""
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.receive())
            if message.get("id") == self._id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        result = self.command("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:60]}...: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str) -> None:
        """Load ``url`` and wait for the document to finish loading."""
        self.command("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete'")

    def wait_for(self, expression: str, timeout: float | None = None) -> bool:
        """Poll a JavaScript condition until it is true; False after ``timeout`` seconds."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while time.monotonic() < deadline:
            with contextlib.suppress(RuntimeError):
                if self.evaluate(expression):
                    return True
            time.sleep(0.25)
        return False

    def text(self) -> str:
        """The page's visible text, inside shadow roots too."""
        return str(self.evaluate(DEEP_TEXT_JS))

    def wait_for_text(self, *needles: str, timeout: float | None = None) -> bool:
        """Wait until the page's text holds every one of ``needles``."""
        condition = " && ".join(f"t.includes({json.dumps(n)})" for n in needles)
        return self.wait_for(f"(t => {condition})({DEEP_TEXT_JS})", timeout)

    def screenshot(self) -> bytes:
        """The visible page as PNG bytes."""
        return base64.b64decode(self.command("Page.captureScreenshot", format="png")["data"])

    def close(self) -> None:
        """Stop the browser and remove its profile."""
        with contextlib.suppress(AttributeError):
            self.ws.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> HeadlessChromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_tensorboard_tab(browser: HeadlessChromium, url: str, tab: str, query: str = "",
                         settings: dict[str, Any] | None = None) -> None:
    """Open a TensorBoard tab (``timeseries``, ``hparams``, ...) with the settings pane closed.

    Args:
        query: URL query of the Time Series deep link, e.g. ``tagFilter=val/``.
        settings: more of TensorBoard's stored settings, e.g. ``{"timeSeriesCardMinWidth": 700}``.
    """
    address = f"{url}/{'?' + query if query else ''}#{tab}"
    browser.open(address)
    # TensorBoard keeps its settings in localStorage and reads them when the page loads; the
    # Time Series settings pane would take a fifth of the screenshot.
    stored = json.dumps(json.dumps({"timeSeriesSettingsPaneOpened": False, **(settings or {})}))
    browser.evaluate(f"localStorage.setItem('_tb_global_settings', {stored})")
    browser.command("Page.reload", ignoreCache=False)
    time.sleep(0.5)
    browser.wait_for("document.readyState === 'complete'")


def show_actual_image_size(browser: HeadlessChromium) -> bool:
    """Tick the IMAGES tab's "Show actual image size" box; False when there is none."""
    return bool(browser.evaluate("""(() => {
      const boxes = [];
      const walk = (root) => {
        for (const element of root.querySelectorAll('*')) {
          if (element.tagName === 'PAPER-CHECKBOX' && /actual image size/i.test(element.textContent)) boxes.push(element);
          if (element.shadowRoot) walk(element.shadowRoot);
        }
      };
      walk(document);
      boxes.forEach((box) => { if (!box.checked) box.click(); });
      return boxes.length;
    })()"""))
