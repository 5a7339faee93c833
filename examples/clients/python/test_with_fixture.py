"""`pytest examples/clients/python`: a suite using the `carrier_sim` fixture."""
import json
import urllib.error
import urllib.request


def test_ready_and_token(carrier_sim):
    with urllib.request.urlopen(carrier_sim.url + "/_sim/ready") as r:
        assert r.status == 200
    try:
        urllib.request.urlopen(carrier_sim.url + "/_sim/cards")
        raise AssertionError("the admin plane answered without the token")
    except urllib.error.HTTPError as e:
        assert e.code == 401
    req = urllib.request.Request(carrier_sim.url + "/_sim/cards?carrier=cmcc",
                                 headers={"Authorization": "Bearer " + carrier_sim.token})
    with urllib.request.urlopen(req) as r:
        assert json.load(r)["total"] > 0
