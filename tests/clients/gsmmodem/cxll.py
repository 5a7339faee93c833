"""Real-client check of carrier-sim's virtual modem with python-gsmmodem-new.

Opens the modem's pseudo-terminal like any serial port, initialises it the
way the library does for real hardware (ATZ, ATE0, AT+CLAC, AT+CMGF=0,
AT+CPMS, AT+CNMI, ...), sends an SMS to a service number in PDU mode and
waits for the reply, which the library reads with AT+CMGR when +CMTI
arrives. Parts of a concatenated reply are joined by their UDH reference.

Usage: python cxll.py PORT NUMBER TEXT EXPECTED_REPLY
Exit 0 when the reassembled reply equals EXPECTED_REPLY, non-zero otherwise.
"""

import sys
import threading

from gsmmodem.modem import GsmModem


def main():
    port, number, text, expected = sys.argv[1:5]
    parts = {}
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
    if reply != expected:
        print("unexpected reply:\n  got      %r\n  expected %r" % (reply, expected), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
