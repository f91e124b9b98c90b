"""Settings, from command-line flags or PLENARY_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _env_list(name: str) -> list[str]:
    return [v.strip() for v in os.environ.get(name, "").split(",") if v.strip()]


@dataclass(slots=True)
class Settings:
    host: str = field(default_factory=lambda: os.environ.get("PLENARY_HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(os.environ.get("PLENARY_PORT", "8000")))
    data_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("PLENARY_DATA_DIR", "plenary-data"))
    )
    # Empty means the embedded backend with its SQLite file in data_dir.
    backend_url: str = field(default_factory=lambda: os.environ.get("PLENARY_BACKEND", ""))
    # The address people reach the server at, for links (set it behind a proxy).
    public_url: str = field(default_factory=lambda: os.environ.get("PLENARY_PUBLIC_URL", ""))
    # Extra origins whose pages may open websockets (the public URL's origin is always allowed).
    allowed_origins: list[str] = field(default_factory=lambda: _env_list("PLENARY_ALLOWED_ORIGINS"))

    def resolved_backend_url(self) -> str:
        return self.backend_url or f"sqlite:///{self.data_dir.resolve() / 'plenary.db'}"

    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host  # noqa: S104
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def origins(self) -> set[str]:
        allowed = {self.base_url().lower(), *(o.rstrip("/").lower() for o in self.allowed_origins)}
        if not self.public_url:
            # Running locally: the same server reached as localhost or 127.0.0.1.
            allowed |= {f"http://localhost:{self.port}", f"http://127.0.0.1:{self.port}"}
        return allowed
