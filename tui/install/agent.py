"""The `coditect` command's own sign-in on this device (the agent state file).

The console mints an agent session (POST /auth/agent-sessions) with its access token, so
the command holds a refresh token of its own and never rotates the console's. The file
(0600, in the console's data dir) carries what `coditect` needs to work online and
offline: API URL, its refresh token, this machine's hardware id (the same seat as the
console: acquiring with one hardware id is idempotent), the user's e-mail, and the
server keys pinned now, over the console's signed-in channel. Re-minting revokes the
previous agent session, so installing twice leaves one.
"""

from __future__ import annotations

import json
from pathlib import Path

from tui.api import ApiClient, ApiError
from tui.config import AppConfig, read_json, write_private_file

AGENT_STATE_FILE = "coditect-agent.json"
EMBEDDED_WORDS = ("The embedded server runs inside this console, so the coditect command cannot reach it. "
                  "Run `coditect-console server` and start the console with --api-url to sign the command in.")


def agent_state_path(config: AppConfig) -> Path:
    return config.data_dir / AGENT_STATE_FILE


async def sign_in_agent(api: ApiClient, config: AppConfig, *, hardware_id: str, device_name: str,
                        user_email: str, lease: dict | None = None) -> Path:
    """Mint the agent session and write the state file; returns its path. `lease` is the
    console's saved lease of this machine's seat (the same seat), so that the command works
    offline from its very first run."""
    path = agent_state_path(config)
    previous = read_json(path).get("session_id")
    tokens = await api.create_agent_session(device_name, hardware_id)
    jwks = (await api.jwks()).model_dump(mode="json")
    state = {
        "api_url": config.api_url, "session_id": tokens.session_id, "refresh_token": tokens.refresh_token,
        "hardware_id": hardware_id, "device_name": device_name, "user_email": user_email,
        "pins": {"jwks": jwks},
    }
    if lease and lease.get("seat_id") and lease.get("lease_token"):
        state.update(seat_id=lease["seat_id"], lease_token=lease["lease_token"])
    write_private_file(path, json.dumps(state, indent=2))
    if previous and previous != tokens.session_id:
        try:
            await api.revoke_my_session(previous)
        except ApiError:
            pass  # already ended, or not ours any more: nothing to undo
    return path


async def sign_out_agent(api: ApiClient, config: AppConfig) -> None:
    """Revoke the agent session (best effort) and delete the state file."""
    path = agent_state_path(config)
    session_id = read_json(path).get("session_id")
    path.unlink(missing_ok=True)
    Path(str(path) + ".lock").unlink(missing_ok=True)
    if session_id:
        try:
            await api.revoke_my_session(session_id)
        except ApiError:
            pass
