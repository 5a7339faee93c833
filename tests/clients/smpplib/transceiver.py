"""A real SMPP client against carrier-sim's SMSC.

python-smpplib (PyPI `smpplib`) binds as a transceiver, submits a long UCS2
message to a card in UDH-concatenated parts asking for delivery receipts,
waits for a DELIVRD receipt for every part, then has the card's virtual
handset send an SMS to the account's short code (over the simulator's HTTP
handset API) and waits for it as a deliver_sm. Exits non-zero on any
failure; prints `OK` at the end.

usage: transceiver.py HOST PORT SIM_URI ICCID MSISDN SHORT_CODE TEXT MO_TEXT
"""

import json
import logging
import sys
import time
import urllib.request

import smpplib.client
import smpplib.consts
import smpplib.gsm

DEADLINE_S = 20


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    host, port, sim_uri, iccid, msisdn, short_code, text, mo_text = sys.argv[1:9]
    logging.basicConfig(level=logging.WARNING)
    client = smpplib.client.Client(host, int(port), timeout=5, allow_unknown_opt_params=True)
    sent_ids = []
    receipts = {}
    mo = []

    def on_sent(pdu, **kwargs):
        mid = pdu.message_id
        sent_ids.append(mid.decode() if isinstance(mid, bytes) else mid)

    def on_received(pdu, **kwargs):
        body = pdu.short_message or getattr(pdu, "message_payload", None) or b""
        if pdu.esm_class & 0x04:
            rid = pdu.receipted_message_id
            rid = rid.decode() if isinstance(rid, bytes) else rid
            receipts[rid] = (body.decode("ascii", "replace"), pdu.message_state)
        else:
            if pdu.data_coding == smpplib.consts.SMPP_ENCODING_ISO10646:
                decoded = body.decode("utf-16-be")
            else:
                decoded = body.decode("ascii", "replace")
            src = pdu.source_addr
            src = src.decode() if isinstance(src, bytes) else src
            mo.append((src, decoded))

    client.set_message_sent_handler(on_sent)
    client.set_message_received_handler(on_received)
    client.connect()
    client.bind_transceiver(system_id="cmccesme", password="smpp1234")

    parts, coding, esm_class = smpplib.gsm.make_parts(text)
    if coding != smpplib.consts.SMPP_ENCODING_ISO10646 or len(parts) < 2:
        fail("expected a multi-part UCS2 message, got coding %s, %d parts" % (coding, len(parts)))
    for part in parts:
        client.send_message(
            source_addr_ton=smpplib.consts.SMPP_TON_ALNUM,
            source_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
            source_addr=short_code,
            dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
            dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
            destination_addr="86" + msisdn,
            short_message=part,
            data_coding=coding,
            esm_class=esm_class,
            registered_delivery=True,
        )

    deadline = time.time() + DEADLINE_S
    while time.time() < deadline and not (
        len(sent_ids) == len(parts) and all(i in receipts for i in sent_ids)
    ):
        client.read_once()
    if len(sent_ids) != len(parts):
        fail("got %d submit_sm_resp for %d parts" % (len(sent_ids), len(parts)))
    for mid in sent_ids:
        if mid not in receipts:
            fail("no receipt for message %s (receipts: %r)" % (mid, receipts))
        body, state = receipts[mid]
        if "stat:DELIVRD" not in body or not body.startswith("id:%s " % mid) or state != 2:
            fail("bad receipt for %s: %r state %r" % (mid, body, state))

    req = urllib.request.Request(
        "%s/_sim/handsets/%s/sms" % (sim_uri, iccid),
        data=json.dumps({"to": short_code, "text": mo_text}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        if r.status != 200:
            fail("handset send answered %d" % r.status)

    deadline = time.time() + DEADLINE_S
    while time.time() < deadline and not mo:
        client.read_once()
    if mo != [(msisdn, mo_text)]:
        fail("MO message: got %r" % mo)

    client.unbind()
    client.disconnect()
    print("OK")


if __name__ == "__main__":
    main()
