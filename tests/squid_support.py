"""Debian's squid, started by a test on a free port with its stock configuration.

The stock rules are what a locked-down network's proxy does: ordinary HTTP requests go through,
``CONNECT`` goes only to port 443. Chromium sends every websocket through an HTTP proxy as a
``CONNECT`` tunnel, so a page behind this proxy cannot open a websocket to a plenary server on
any other port, and has to use the plain-HTTP fallback. The test's copy of the configuration
changes only where squid listens and keeps its files, and lets the test's own address use it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support import free_port, kill_process, require_binary

SQUID = "/usr/sbin/squid"
STOCK_CONFIG = Path("/etc/squid/squid.conf")


class Squid:
    def __init__(self) -> None:
        require_binary(SQUID, "apt-get install squid")
        self.port = free_port()
        # Outside the test's own temporary directory: squid drops root for its own user, which
        # must be able to reach these files.
        self.dir = Path(tempfile.mkdtemp(prefix="plenary-squid-"))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config(self) -> str:
        stock = STOCK_CONFIG.read_text()
        ours, n = re.subn(r"(?m)^http_port .*$", f"http_port 127.0.0.1:{self.port}", stock)
        assert n == 1, "the stock squid.conf has no http_port line"
        # The test's address may use the proxy: the rule goes where the stock file allows its
        # own clients, after the rules that refuse unsafe ports and CONNECT to ports but 443.
        ours, n = re.subn(
            r"(?m)^http_access deny all$",
            "acl plenary_test src 127.0.0.1/32\n"
            "http_access allow plenary_test\n"
            "http_access deny all",
            ours,
        )
        assert n == 1, "the stock squid.conf has no final 'http_access deny all'"
        ours = re.sub(r"(?m)^coredump_dir .*$", f"coredump_dir {self.dir}", ours)
        return ours + "\n".join(
            [
                "",
                f"pid_filename {self.dir}/squid.pid",
                f"cache_log stdio:{self.dir}/cache.log",
                f"access_log stdio:{self.dir}/access.log",
                "netdb_filename none",
                # The test stops it: no 30 s wait for clients to finish.
                "shutdown_lifetime 0 seconds",
                "",
            ]
        )

    def start(self, timeout: float = 30.0) -> Squid:
        (self.dir / "squid.conf").write_text(self.config())
        if os.geteuid() == 0:
            shutil.chown(self.dir, "proxy", "proxy")
        with open(self.dir / "out.log", "wb") as out:
            self.proc = subprocess.Popen(
                [SQUID, "-N", "-f", str(self.dir / "squid.conf")],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while "Accepting HTTP Socket connections" not in self.cache_log():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"squid did not start: {self.cache_log()[-2000:]}")
            time.sleep(0.1)
        return self

    def cache_log(self) -> str:
        path = self.dir / "cache.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def access_log(self) -> str:
        path = self.dir / "access.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                kill_process(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)
