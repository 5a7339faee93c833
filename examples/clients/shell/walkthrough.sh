#!/usr/bin/env bash
# carrier-sim with curl and jq: for each carrier, authenticate, query a card's
# usage, stop and resume it, move the simulated clock two days, and check that
# the card was stopped for going over quota.
#
#   examples/clients/shell/walkthrough.sh http://127.0.0.1:8080 [ADMIN_TOKEN]
#
# Exits non-zero when an answer changes shape (set -e, and jq -e on every check).
set -euo pipefail
BASE=${1:-http://127.0.0.1:8080}
AUTH=()
if [ -n "${2:-}" ]; then AUTH=(-H "Authorization: Bearer $2"); fi
admin() { curl -sf "${AUTH[@]}" -H 'Content-Type: application/json' "$@"; }
check() { jq -e "$1" >/dev/null || { echo "unexpected answer: $1" >&2; exit 1; }; }

admin -XPOST "$BASE/_sim/reset" -d '{}' >/dev/null
card() { admin "$BASE/_sim/cards?carrier=$1&tag=near-quota" | jq -r ".items[0].$2"; }

# China Mobile OneLink v5: a token from /get/token, then transid + token.
ICCID=$(card cmcc iccid)
transid() { echo "100001$(date +%Y%m%d%H%M%S)$(printf %08d $((RANDOM)))"; }
TOKEN=$(curl -sf "$BASE/v5/ec/get/token?appid=100001&password=cmcc-demo-pass&transid=$(transid)" | jq -r '.result[0].token')
curl -sf "$BASE/v5/ec/query/sim-data-usage?transid=$(transid)&token=$TOKEN&iccid=$ICCID" | tee /dev/stderr | check '.status == "0" and (.result[0].dataAmount | tonumber) > 0'
for op in 0 1; do   # 0 stop, 1 resume
  curl -sf "$BASE/v5/ec/change/sim-status?transid=$(transid)&token=$TOKEN&iccid=$ICCID&operType=$op" | check '.status == "0"'
done
curl -sf "$BASE/v5/ec/query/sim-status?transid=$(transid)&token=$TOKEN&iccid=$ICCID" | check '.result[0].cardStatus == "2"'

# China Unicom Jasper REST: HTTP Basic with the REST API key.
ICCID=$(card cucc iccid)
CU=(-u cucc-demo:2f1c9a1e-6b0e-4c3a-9d55-7a1b2c3d4e5f -H 'Accept: application/json')
curl -sf "${CU[@]}" "$BASE/rws/api/v1/devices/$ICCID/ctdUsages" | tee /dev/stderr | check '.ctdDataUsage > 0'
for status in DEACTIVATED ACTIVATED; do
  curl -sf "${CU[@]}" -XPUT -H 'Content-Type: application/json' -d "{\"status\":\"$status\"}" \
    "$BASE/rws/api/v1/devices/$ICCID" | check ".iccid == \"$ICCID\""
done
curl -sf "${CU[@]}" "$BASE/rws/api/v1/devices/$ICCID" | check '.status == "ACTIVATED"'

# China Telecom 5G CMP: AppKey, Timestamp and Sign = hex(md5(params + body + secret + ts)), upper case.
NUMBER=$(card ctcc msisdn)
ctcc() {  # ctcc METHOD PATH SORTED_QUERY BODY
  local ts sign; ts=$(date +%Y%m%d%H%M%S)
  sign=$(printf '%s' "$3$4testsecret$ts" | md5sum | cut -c1-32 | tr -d '\n' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
  curl -sf -X "$1" -H "AppKey: ctcc-5g-demo" -H "Timestamp: $ts" -H "Sign: $sign" \
    -H 'Content-Type: application/json' ${4:+-d "$4"} "$BASE$2${3:+?$3}"
}
ctcc POST /api/v1/batchQry/batchQryFlowByMonth "" "{\"accessNumber\":[\"$NUMBER\"]}" | tee /dev/stderr | check '.code == 0 and (.data[0].flowAmount | tonumber) > 0'
for order in 19 20; do   # 19 stop keeping the number, 20 resume
  ctcc GET /5gcmp/openapi/v1/common/disabledNumberService "access_number=$NUMBER&acctCd=&orderTypeId=$order" "" | grep -q '<result>0</result>'
done
ctcc GET /openapi/v1/prodinst/queryCardMainStatus "access_number=$NUMBER" "" | check '.result == "0" and .productInfo[0].productMainStatusCd == "4"'
echo >&2

# Two simulated days: each near-quota card burns past its allowance and is stopped.
admin -XPOST "$BASE/_sim/clock" -d '{"advance":"2d"}' >/dev/null
for carrier in cmcc cucc ctcc; do
  admin "$BASE/_sim/cards/$(card "$carrier" iccid)" | check '.state == "suspended" and (.reasons | index("over_quota"))'
  echo "$carrier: stopped over quota"
done
echo ok
