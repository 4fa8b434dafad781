"""The notifier's dead letters: e-mails and SMS that failed every try (make notify-dlt).

python -m deploy.notify_dlt list                          each one: dossier, event, channel, tries, failure
python -m deploy.notify_dlt replay --all                  try them all again, from a fresh count
python -m deploy.notify_dlt replay CODE SEQ CHANNEL       one of them (CHANNEL: email or sms)

It calls the notifier's operator API (NOTIFIER_URL) with the services' token; the rows name no
address or phone.
"""

from __future__ import annotations

import sys

import httpx

from deploy.settings import ToolSettings
from shared.auth.sessions import SERVICE_TOKEN_FILE, load_secret


def main(argv: list[str]) -> int:
    tools = ToolSettings()
    token = load_secret(tools.service_token.get_secret_value() if tools.service_token else None, SERVICE_TOKEN_FILE)
    api = f"{tools.notifier_url.rstrip('/')}/api/v1/notifications"
    headers = {"authorization": f"Bearer {token.decode()}"}
    if argv[:1] == ["list"]:
        r = httpx.get(f"{api}/dead", headers=headers, timeout=15)
        r.raise_for_status()
        rows = r.json()["dead"]
        for d in rows:
            print(
                f"{d['dossier_code']}  seq {d['seq']}  {d['channel']:<5}  {d['event_type']:<28}  "
                f"tries {d['attempts']}  {d['last_error']}"
            )
        print(f"{len(rows)} dead letter(s)")
        return 0
    if argv[:1] == ["replay"] and (argv[1:] == ["--all"] or len(argv) == 4):
        body = (
            {"all": True}
            if argv[1:] == ["--all"]
            else {"items": [{"dossier_code": argv[1], "seq": int(argv[2]), "channel": argv[3]}]}
        )
        r = httpx.post(f"{api}/dead/replay", json=body, headers=headers, timeout=15)
        r.raise_for_status()
        print(f"{r.json()['replayed']} message(s) queued again")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
