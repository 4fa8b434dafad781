"""The committed AsyncAPI documents match what FastStream generates from the code."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_committed_asyncapi_documents_are_current():
    # A fresh process: the services build their brokers at import.
    result = subprocess.run(
        [sys.executable, "-m", "deploy.asyncapi", "check"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
