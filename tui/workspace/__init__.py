"""The Docker workspace, seen from the console: SSH keys, the deployment folder, checks
before starting, `docker compose` with progress, and failures in plain words. No Textual."""
