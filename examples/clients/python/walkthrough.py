#!/usr/bin/env python3
"""carrier-sim from Python (standard library only): for each carrier,
authenticate, query a card's usage, stop and resume it, move the simulated
clock two days, and check that the card was stopped for going over quota.

    python3 walkthrough.py http://127.0.0.1:8080 [ADMIN_TOKEN]

The carrier calls are the ones a client of the real platform makes; only the
base URL differs. Exits non-zero (AssertionError) when an answer changes shape.
"""
import base64
import hashlib
import json
import sys
import time
import urllib.parse
import urllib.request

BASE = sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8080"
TOKEN = sys.argv[2] if len(sys.argv) > 2 else None


def http(method, path, query=None, body=None, headers=None):
    url = BASE + path + ("?" + urllib.parse.urlencode(query) if query else "")
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(req) as resp:
        return resp.read().decode()


def admin(method, path, body=None):
    """The /_sim admin plane (a bearer token when the server has one)."""
    headers = {"Content-Type": "application/json"}
    if TOKEN:
        headers["Authorization"] = "Bearer " + TOKEN
    return json.loads(http(method, path, body=json.dumps(body) if body else None, headers=headers))


def near_quota_card(carrier):
    return admin("GET", f"/_sim/cards?carrier={carrier}&tag=near-quota")["items"][0]


# ---- China Mobile OneLink v5: token, then transid + token on every call ----
def cmcc(iccid):
    appid, password = "100001", "cmcc-demo-pass"
    seq = iter(range(1, 1000))

    def transid():  # appid + yyyyMMddHHmmss + 8-digit sequence
        return appid + time.strftime("%Y%m%d%H%M%S") + "%08d" % next(seq)

    def call(path, **params):
        answer = json.loads(http("GET", "/v5/ec" + path, {"transid": transid(), **params}))
        assert answer["status"] == "0", answer
        return answer["result"]

    token = call("/get/token", appid=appid, password=password)[0]["token"]
    usage = call("/query/sim-data-usage", token=token, iccid=iccid)[0]
    print("cmcc usage (KB):", usage["dataAmount"])
    call("/change/sim-status", token=token, iccid=iccid, operType="0")  # stop
    assert call("/query/sim-status", token=token, iccid=iccid)[0]["cardStatus"] == "4"
    call("/change/sim-status", token=token, iccid=iccid, operType="1")  # resume
    assert call("/query/sim-status", token=token, iccid=iccid)[0]["cardStatus"] == "2"


# ---- China Unicom Jasper REST: HTTP Basic with the API key ----
def cucc(iccid):
    basic = base64.b64encode(b"cucc-demo:2f1c9a1e-6b0e-4c3a-9d55-7a1b2c3d4e5f").decode()
    headers = {"Authorization": "Basic " + basic, "Accept": "application/json",
               "Content-Type": "application/json"}
    device = f"/rws/api/v1/devices/{iccid}"
    usage = json.loads(http("GET", device + "/ctdUsages", headers=headers))
    print("cucc usage (bytes):", usage["ctdDataUsage"])
    for status in ("DEACTIVATED", "ACTIVATED"):  # stop, then resume
        edited = json.loads(http("PUT", device, body=json.dumps({"status": status}), headers=headers))
        assert edited["iccid"] == iccid, edited
        assert json.loads(http("GET", device, headers=headers))["status"] == status


# ---- China Telecom 5G CMP gateway: AppKey, Timestamp and an MD5 Sign ----
def ctcc(access_number):
    app_key, secret = "ctcc-5g-demo", "testsecret"

    def call(method, path, query=None, body=""):
        ts = time.strftime("%Y%m%d%H%M%S")
        params = "&".join(f"{k}={v}" for k, v in sorted((query or {}).items()))
        digest = hashlib.md5((params + body + secret + ts).encode()).hexdigest()
        headers = {"AppKey": app_key, "Timestamp": ts,
                   "Sign": digest.encode().hex().upper(), "Content-Type": "application/json"}
        return http(method, path, query, body or None, headers)

    flow = json.loads(call("POST", "/api/v1/batchQry/batchQryFlowByMonth",
                           body=json.dumps({"accessNumber": [access_number]})))
    assert flow["code"] == 0, flow
    print("ctcc usage (MB):", flow["data"][0]["flowAmount"])
    for order in ("19", "20"):  # 19 stop keeping the number, 20 resume
        xml = call("GET", "/5gcmp/openapi/v1/common/disabledNumberService",
                   {"access_number": access_number, "acctCd": "", "orderTypeId": order})
        assert "<result>0</result>" in xml, xml
    status = json.loads(call("GET", "/openapi/v1/prodinst/queryCardMainStatus",
                             {"access_number": access_number}))
    assert status["result"] == "0", status
    assert status["productInfo"][0]["productMainStatusCd"] == "4", status  # 在用


if __name__ == "__main__":
    admin("POST", "/_sim/reset", {})
    cards = {c: near_quota_card(c) for c in ("cmcc", "cucc", "ctcc")}
    cmcc(cards["cmcc"]["iccid"])
    cucc(cards["cucc"]["iccid"])
    ctcc(cards["ctcc"]["msisdn"])
    # Two simulated days: each near-quota card burns past its allowance.
    admin("POST", "/_sim/clock", {"advance": "2d"})
    for carrier, card in cards.items():
        after = admin("GET", "/_sim/cards/" + card["iccid"])
        assert after["state"] == "suspended" and "over_quota" in after["reasons"], after
        print(carrier, card["iccid"], "stopped:", after["reasons"])
    print("ok")
