"""An HTTP client for the local hub: log in through the form, spawn a server, read its pages.

It speaks to JupyterHub the way a browser does: the login form with its
``_xsrf`` field, the session cookie, and the ``X-XSRFToken`` header that
JupyterHub asks of cookie-authenticated API requests. The browser tests can
use it to prepare users before Chromium opens their pages.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field

import requests

XSRF_FIELD = re.compile(r'name="_xsrf"\s+value="([^"]+)"')
PAGE_CONFIG = re.compile(
    r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', re.DOTALL
)


class HubClientError(AssertionError):
    """The hub answered something other than what a working hub answers."""


@dataclass
class UserSession:
    """One person's cookies on the hub."""

    hub_url: str
    user: str
    http: requests.Session = field(default_factory=requests.Session)

    def _xsrf(self) -> str:
        for cookie in self.http.cookies:
            if cookie.name == "_xsrf":
                return str(cookie.value)
        return ""

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        """Call the hub's REST API (``path`` after ``/hub/api/``) with this person's cookie."""
        headers = {"X-XSRFToken": self._xsrf(), **kwargs.pop("headers", {})}
        return self.http.request(
            method, f"{self.hub_url}hub/api/{path}", headers=headers, timeout=60, **kwargs
        )

    def get(self, path: str, **kwargs) -> requests.Response:
        """GET a page of the hub or of a server (``path`` after the hub's address)."""
        return self.http.get(f"{self.hub_url}{path.lstrip('/')}", timeout=60, **kwargs)

    def spawn(self, timeout: float = 180) -> None:
        """Start this person's server, and wait until the hub says it is ready."""
        response = self.api("POST", f"users/{self.user}/server")
        if response.status_code not in (201, 202, 400):  # 400: already running
            raise HubClientError(
                f"spawning {self.user}'s server: HTTP {response.status_code} {response.text}"
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = self.api("GET", f"users/{self.user}").json()
            server = (model.get("servers") or {}).get("")
            if server and server.get("ready"):
                return
            time.sleep(1)
        raise HubClientError(f"{self.user}'s server was not ready within {timeout:.0f} s")

    def stop_server(self, timeout: float = 60) -> None:
        """Stop this person's server and wait until the hub says it is gone."""
        self.api("DELETE", f"users/{self.user}/server")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.api("GET", f"users/{self.user}").json().get("servers"):
                return
            time.sleep(1)
        raise HubClientError(f"{self.user}'s server did not stop within {timeout:.0f} s")

    def status(self, path: str) -> int:
        """The HTTP status of a page of this person's server (``path`` after ``/user/<name>/``)."""
        return self.get(f"user/{self.user}/{path.lstrip('/')}").status_code

    def lab_page_config(self) -> dict:
        """The page config JupyterLab embeds in ``/user/<name>/lab`` (``jupyter-config-data``)."""
        response = self.get(f"user/{self.user}/lab")
        if response.status_code != 200:
            raise HubClientError(f"/user/{self.user}/lab: HTTP {response.status_code}")
        match = PAGE_CONFIG.search(response.text)
        if match is None:
            raise HubClientError(f"/user/{self.user}/lab has no jupyter-config-data")
        return dict(json.loads(match.group(1)))


def login(hub_url: str, user: str, password: str) -> UserSession:
    """Log in through the hub's login form; return the person's session."""
    session = UserSession(hub_url, user)
    form = session.get("hub/login")
    if form.status_code != 200:
        raise HubClientError(f"/hub/login: HTTP {form.status_code}")
    match = XSRF_FIELD.search(form.text)
    response = session.http.post(
        f"{hub_url}hub/login",
        data={
            "username": user,
            "password": password,
            "_xsrf": match.group(1) if match else session._xsrf(),
        },
        allow_redirects=False,
        timeout=60,
    )
    if response.status_code != 302:
        raise HubClientError(
            f"logging in as {user}: HTTP {response.status_code} (expected a redirect)"
        )
    return session
