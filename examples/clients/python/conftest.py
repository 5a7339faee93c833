"""A pytest fixture that starts `carrier-sim serve` on a free port for a test
session and stops it afterwards (what a Testcontainers module does for
LocalStack users). Copy this file next to your tests:

    def test_usage(carrier_sim):
        url, token = carrier_sim.url, carrier_sim.token

The binary is `carrier-sim` on PATH, or CARRIER_SIM_BIN.
"""
import os
import subprocess
import threading
from dataclasses import dataclass

import pytest


@dataclass
class CarrierSim:
    url: str
    token: str


@pytest.fixture(scope="session")
def carrier_sim():
    token = "pytest-token"
    env = dict(os.environ, CARRIER_SIM_ADMIN_TOKEN=token)
    proc = subprocess.Popen(
        [os.environ.get("CARRIER_SIM_BIN", "carrier-sim"), "serve", "--port", "0"],
        env=env, stdout=subprocess.PIPE, text=True,
    )
    banner = proc.stdout.readline()  # "carrier-sim listening on http://127.0.0.1:PORT"
    if not banner.startswith("carrier-sim listening on "):
        proc.kill()
        raise RuntimeError(f"carrier-sim did not start: {banner!r}")
    # Keep draining the rest of the banner so the server never blocks on it.
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    yield CarrierSim(url=banner.split(" on ", 1)[1].strip(), token=token)
    proc.terminate()
    proc.wait(timeout=10)
