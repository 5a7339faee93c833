"""Drives carrier-sim's Jasper SOAP API with zeep, a general SOAP client
(PyPI `zeep`), from the WSDLs the simulator serves at /ws/schema/*.wsdl.

Usage: drive.py BASE USER PASSWORD LICENSE_KEY MY_ICCID MY_ICCID2 OTHER_ICCID

The whole flow a Unicom integration runs: terminal details for several
ICCIDs, status edits both ways, modified-since paging, usage, session,
rating, audit trail, SMS, and a fault for each kind of bad input. Every
check raises AssertionError with a message; the last line printed is a JSON
summary the Rust test compares with the simulator's state.
"""

import datetime
import decimal
import json
import sys
import urllib.request

from zeep import Client
from zeep.exceptions import Fault
from zeep.wsse.username import UsernameToken

base, user, password, key, mine, mine2, other = sys.argv[1:8]


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def admin(path, body):
    req = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def clients(u, p):
    wsse = UsernameToken(u, p)
    return (
        Client(f"{base}/ws/schema/Terminal.wsdl", wsse=wsse),
        Client(f"{base}/ws/schema/Billing.wsdl", wsse=wsse),
        Client(f"{base}/ws/schema/Sms.wsdl", wsse=wsse),
    )


T, B, S = clients(user, password)
hdr = dict(messageId="zeep-1", version="1.0", licenseKey=key)


def expect_fault(code, call, *args, **kw):
    """The call must fail with a SOAP fault whose faultstring is `code`."""
    try:
        call(*args, **kw)
    except Fault as f:
        check(f.message == code, f"expected fault {code}, got {f.message!r} ({f.code})")
        return f
    raise AssertionError(f"expected fault {code}, the call succeeded")


def details(*iccids):
    r = T.service.GetTerminalDetails(**hdr, iccids={"iccid": list(iccids)})
    return {t.iccid: t for t in r.terminals.terminal}, r


# --- details of several ICCIDs (an unknown one is left out) ---
terms, r = details(mine, mine2, "89860699999999999990")
check(set(terms) == {mine, mine2}, f"terminals: {sorted(terms)}")
check(r.correlationId == "zeep-1", "correlationId echoes messageId")
check(r.version == "7.28", f"schema version {r.version}")
t = terms[mine]
check(t.status == "ACTIVATED_NAME", f"status {t.status}")
check(t.msisdn.startswith("86") and len(t.msisdn) == 15, f"msisdn attribute {t.msisdn}")
check(isinstance(t.monthToDateDataUsage, decimal.Decimal), "MB as decimal")
check(t.monthToDateDataUsage == t.monthToDateUsage, "both MTD data fields agree")
check(t.dateAdded.tzinfo is not None, "dates carry a zone")
check(t.overageLimitOverride == "DEFAULT", "override")
check(t.imsi.startswith("460"), "imsi")
usage_mb = t.monthToDateDataUsage

# --- status both ways; modified since ---
admin("/_sim/clock", {"advance": "1h"})
_, r0 = details(mine)
t0 = r0.timestamp
admin("/_sim/clock", {"advance": "1m"})
e = T.service.EditTerminal(**hdr, iccid=mine, targetValue="DEACTIVATED_NAME", changeType=3)
check(e.iccid == mine, "EditTerminal echoes the ICCID")
check(details(mine)[0][mine].status == "DEACTIVATED_NAME", "deactivated")
admin("/_sim/clock", {"advance": "1m"})
T.service.EditTerminal(**hdr, iccid=mine, targetValue="ACTIVATED_NAME", changeType=3)
after = details(mine)[0][mine]
check(after.status == "ACTIVATED_NAME", "activated again")
check(after.dateModified > t0, "dateModified moved")

modified = []
page = 1
while True:
    m = T.service.GetModifiedTerminals(**hdr, since=t0, pageNumber=page)
    modified += list(m.iccids.iccid or [])
    if page >= m.totalPages:
        break
    page += 1
check(mine in modified, "the edited terminal is modified since t0")
check(len(modified) == len(set(modified)), "no ICCID twice")
stamps = []
for i in range(0, len(modified), 50):
    chunk = modified[i : i + 50]
    got, _ = details(*chunk)
    stamps += [got[c].dateModified for c in chunk]
check(all(s > t0 for s in stamps), "only terminals modified after t0")
check(stamps == sorted(stamps), "oldest change first")
m2 = details(mine2)[0][mine2]
check((mine2 in modified) == (m2.dateModified > t0), "mine2 listed iff modified after t0")

# --- rate plan and custom field edits, audit trail ---
plan = after.ratePlan
T.service.EditTerminal(**hdr, iccid=mine, targetValue=plan, changeType=4)
T.service.EditTerminal(**hdr, iccid=mine, targetValue="zeep-note", changeType=17)
check(details(mine)[0][mine].custom1 == "zeep-note", "custom1 edited")
trail = T.service.GetTerminalAuditTrail(**hdr, iccid=mine)
fields = [a.field for a in trail.terminalAuditTrails.terminalAuditTrail]
check(fields[:3] == ["accountCustom1", "status", "status"], f"audit trail {fields}")

# --- usage, session, rating ---
today = datetime.date.today()
cycle = datetime.date(r0.timestamp.year, r0.timestamp.month, 1)
u = B.service.GetTerminalUsage(**hdr, iccid=mine, cycleStartDate=cycle)
check(isinstance(u.totalDataVolume, decimal.Decimal), "usage in MB")
check(u.totalDataVolume >= usage_mb, f"cycle usage {u.totalDataVolume} >= {usage_mb}")
check(u.billable is False, "the open cycle is not billable")
dd = B.service.GetTerminalUsageDataDetails(**hdr, iccid=mine, cycleStartDate=cycle)
check(dd.totalPages == 1, "details on one page without pageNumber")
s = T.service.GetSessionInfo(**hdr, iccid=[mine])
check(s.sessionInfo.session is not None and s.sessionInfo.session[0].iccid == mine, "online")
rt = T.service.GetTerminalRating(**hdr, iccid=mine)
check(rt.terminalRatings.terminalRating[0].ratePlanName == plan, "rating names the plan")

# --- SMS ---
sent = S.service.SendSMS(**hdr, sentToIccid=mine, messageText="zeep 你好").smsMsgId
got = S.service.GetSMSDetails(**hdr, smsMsgIds={"smsMsgId": [sent]})
msg = got.smsMessages.smsMessage[0]
check(msg.smsMsgId == sent and msg.messageText == "zeep 你好", "SMS details")
check(msg.status == "Delivered" and msg.msgType == "MT", "MT delivered")

# --- a fault for each bad input ---
T_bad, _, _ = clients(user, password + "x")
expect_fault("400200", T_bad.service.GetTerminalDetails, **hdr, iccids={"iccid": [mine]})
T_nouser, _, _ = clients("nobody", password)
expect_fault("400200", T_nouser.service.GetTerminalDetails, **hdr, iccids={"iccid": [mine]})
bad_key = dict(hdr, licenseKey="00000000-0000-0000-0000-000000000000")
expect_fault("400100", T.service.GetTerminalDetails, **bad_key, iccids={"iccid": [mine]})
expect_fault("400201", T.service.GetTerminalDetails, **hdr, iccids={"iccid": [other]})
expect_fault("400201", T.service.EditTerminal, **hdr, iccid=other, targetValue="DEACTIVATED_NAME", changeType=3)
expect_fault("100100", T.service.GetTerminalDetails, **hdr, iccids={"iccid": ["89860699999999999990"]})
expect_fault("100100", T.service.EditTerminal, **hdr, iccid="89860699999999999990", targetValue="ACTIVATED_NAME", changeType=3)
expect_fault("100101", T.service.EditTerminal, **hdr, iccid="8986-not-an-iccid", targetValue="ACTIVATED_NAME", changeType=3)
expect_fault("100200", T.service.EditTerminal, **hdr, iccid=mine, targetValue="x", changeType=999)
f = expect_fault("100300", T.service.EditTerminal, **hdr, iccid=mine, targetValue="ACTIVE", changeType=3)
expect_fault("100300", T.service.EditTerminal, **hdr, iccid=mine, targetValue="PURGED_NAME", changeType=3)
expect_fault("100300", T.service.EditTerminal, **hdr, iccid=mine, targetValue="no-such-plan", changeType=4)
expect_fault("100300", T.service.EditTerminal, **hdr, iccid=mine, effectiveDate=datetime.date(2001, 1, 1), targetValue="ACTIVATED_NAME", changeType=3)
expect_fault("200200", B.service.GetTerminalUsage, **hdr, iccid=mine)
expect_fault("200200", B.service.GetTerminalUsage, **hdr, iccid=mine, cycleStartDate=datetime.date(2001, 1, 1))
expect_fault("500500", S.service.SendSMS, **hdr, sentToIccid=mine, messageText="x" * 161)
expect_fault("500400", S.service.SendSMS, **hdr, sentToIccid=mine, messageText="")
check(details(mine)[0][mine].status == "ACTIVATED_NAME", "faults changed nothing")

print(json.dumps({"mine": mine, "status": "ACTIVATED_NAME", "custom1": "zeep-note", "sms": sent, "modified": len(modified)}))
