"""Real-client check of carrier-sim's virtual modem with python-gsmmodem-new.

Opens the modem's pseudo-terminal like any serial port, initialises it the
way the library does for real hardware (ATZ, ATE0, AT+CLAC, AT+CMGF=0,
AT+CPMS, AT+CNMI, ...), sends an SMS to a service number in PDU mode and
waits for the reply, which the library reads with AT+CMGR when +CMTI
arrives. Parts of a concatenated reply are joined by their UDH reference.

Usage: python cxll.py PORT NUMBER TEXT EXPECTED_REPLY
Exit 0 when the reassembled reply equals EXPECTED_REPLY, non-zero otherwise.
The last line on stderr is "PARTS <json>": per part as the library decoded
it, its number, total, concatenation IEI (0 = 8-bit, 8 = 16-bit
reference), reference and length in characters.
"""

import json
import sys
import threading

from gsmmodem.modem import GsmModem


def main():
    port, number, text, expected = sys.argv[1:5]
    parts = {}
    shape = []
    done = threading.Event()
    total = {"n": None}

    def received(sms):
        concat = next((u for u in (sms.udh or []) if hasattr(u, "parts")), None)
        if concat is None:
            parts[1] = sms.text
            total["n"] = 1
        else:
            parts[concat.number] = sms.text
            total["n"] = concat.parts
            shape.append({"number": concat.number, "parts": concat.parts, "iei": concat.id,
                          "reference": concat.reference, "chars": len(sms.text)})
        if total["n"] is not None and len(parts) == total["n"]:
            done.set()

    modem = GsmModem(port, 115200, smsReceivedCallbackFunc=received)
    modem.connect()
    try:
        modem.sendSms(number, text)
        if not done.wait(20):
            print("no complete reply within 20 s; got parts:", parts, file=sys.stderr)
            return 2
    finally:
        modem.close()
    reply = "".join(parts[i] for i in sorted(parts))
    print(reply)
    print("PARTS " + json.dumps(sorted(shape, key=lambda p: p["number"])), file=sys.stderr)
    if reply != expected:
        print("unexpected reply:\n  got      %r\n  expected %r" % (reply, expected), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
