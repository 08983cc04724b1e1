"""JupyterHub configuration of the course's local hub (``course hub``; docs/deploy.md).

``course hub setup`` copies this file into the hub's prefix (default
``/opt/claims-evidence-hub``) next to ``hub.json``, the settings it wrote:
the shared environment, the state folder, the users, the exchange folder and
the authenticator. ``course hub start`` runs ``<prefix>/env/bin/jupyterhub -f
<prefix>/jupyterhub_config.py`` as root, with the ports in ``CE_HUB_PORT``,
``CE_HUB_API_PORT`` and ``CE_PROXY_API_PORT``.

Everything listens on 127.0.0.1 only: the proxy's public and API ports, the
hub and every single-user server.
"""

# ruff: noqa: F821  (traitlets defines `get_config` when it runs this file)

import json
import os
from pathlib import Path

c = get_config()  # type: ignore[name-defined]

SETTINGS = Path(os.environ.get("CE_HUB_SETTINGS") or Path(__file__).with_name("hub.json"))
settings = json.loads(SETTINGS.read_text(encoding="utf-8"))
env = Path(settings["env"])
state = Path(settings["state"])

LOOPBACK = "127.0.0.1"
port = int(os.environ.get("CE_HUB_PORT", "8000"))
hub_api_port = int(os.environ.get("CE_HUB_API_PORT", "8081"))
proxy_api_port = int(os.environ.get("CE_PROXY_API_PORT", "8001"))

# -- the hub and its state (root-only folder) ------------------------------------------
c.JupyterHub.bind_url = f"http://{LOOPBACK}:{port}"
c.JupyterHub.hub_bind_url = f"http://{LOOPBACK}:{hub_api_port}"
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every single-user server
c.JupyterHub.cleanup_proxy = True

# -- the proxy: configurable-http-proxy from the repository's node_modules ----------------
c.ConfigurableHTTPProxy.command = [settings["proxy"]]
c.ConfigurableHTTPProxy.api_url = f"http://{LOOPBACK}:{proxy_api_port}"
c.ConfigurableHTTPProxy.auth_token = (state / "proxy_token").read_text(encoding="utf-8").strip()
c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")
c.ConfigurableHTTPProxy.should_start = True

# -- who may log in ----------------------------------------------------------------------
users = [settings["instructor"], *settings["students"]]
if settings["authenticator"] == "pam":
    # The users' Linux passwords (set with chpasswd). No PAM session: a container has
    # no logind for pam_systemd, and the spawner needs none.
    c.JupyterHub.authenticator_class = "pam"
    c.PAMAuthenticator.open_sessions = False
else:
    # PAM could not authenticate in this system (hub.json says why): the built-in
    # DummyAuthenticator, with one shared demo password, for these users only.
    c.JupyterHub.authenticator_class = "dummy"
    c.DummyAuthenticator.password = (state / "dummy_password").read_text(encoding="utf-8").strip()
c.Authenticator.allowed_users = set(users)
c.Authenticator.admin_users = set()

# -- single-user servers: one process per Linux user, from the shared environment --------
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.ip = LOOPBACK
c.Spawner.cmd = [str(env / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.env_keep = ["LANG", "LC_ALL"]
c.Spawner.environment = {
    "PATH": f"{env / 'bin'}:/usr/local/bin:/usr/bin:/bin",
    # The user's Jupyter config (~/.jupyter, written by `course lab-setup --level user`)
    # wins over the environment's, where nbgrader turns all of its extensions on.
    "JUPYTER_PREFER_ENV_PATH": "0",
}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
