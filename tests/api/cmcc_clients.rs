//! China Mobile OneLink as the public clients read it (issue 15): the field
//! names, units and calls that public OneLink client code (Go `mobile_sdk`,
//! C# amlink, PHP `NewChinaMobileAPI`/`ChinaMobileAPI`, Java IoTOS and smoc)
//! relies on. Each expectation names the public source it comes from.

use serde_json::Value;

use super::cmcc::{
    is_datetime, v2, ACTIVATION_READY, CANCELLED, DATA_CUT, INVENTORY, LOW_BALANCE,
    LOW_BALANCE_ICCID, MANUAL_STOP, NORMAL_ICCID, NORMAL_IMSI, NORMAL_MSISDN, POOL_A, POOL_ID,
    TEST_READY,
};
use crate::common::cmcc::Cmcc;

/// A decimal string as a number.
fn num(v: &Value) -> f64 {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {v}"))
}

// ------------------------------------------------------------- v2 fields

#[tokio::test]
async fn v2_lifecycle_is_the_cards_phase() {
    // querycardlifecycle (CMIOT_API2105) and batchquerycardlifecycle (2112):
    // `lifecycle` 00 正式期, 01 测试期, 02 沉默期, 03 其他 — zhangjie29net/amlink
    // Esim7/IOT/IOTModel/ApiModels.cs and the PHP ChinaMobileAPI comment.
    let env = Cmcc::start().await;
    for (msisdn, phase) in [
        (NORMAL_MSISDN, "00"),
        (MANUAL_STOP, "00"),
        (TEST_READY, "01"),
        (INVENTORY, "02"),
        (ACTIVATION_READY, "02"),
        (CANCELLED, "03"),
    ] {
        let r = v2(
            &env,
            "querycardlifecycle",
            "0001000000432",
            &[("msisdn", msisdn)],
        )
        .await;
        assert_eq!(r["result"][0]["lifecycle"], phase, "{msisdn}: {r}");
    }
    let list = format!("{TEST_READY}_{INVENTORY}");
    let r = v2(
        &env,
        "batchquerycardlifecycle",
        "0001000000929",
        &[("msisdns", &list)],
    )
    .await;
    assert_eq!(r["result"][0]["lifecycle"], "01");
    assert_eq!(r["result"][1]["lifecycle"], "02");
}

#[tokio::test]
async fn v2_product_sms_and_realtime_gprs_fields() {
    let env = Cmcc::start().await;
    let id = [("msisdn", NORMAL_MSISDN)];
    // querycardprodinfo (CMIOT_API2037): prodinfos[].prodinstefftime and
    // prodinstexptime — C# amlink ApiModels.cs `ProdinfosItem_CMIOT_API2037`,
    // Java com.maxqh.biz.dal.jsontest.ObjectB.
    let r = v2(&env, "querycardprodinfo", "0001000000264", &id).await;
    let res = &r["result"][0];
    assert_eq!(res["msisdn"], NORMAL_MSISDN);
    let prod = &res["prodinfos"][0];
    assert!(
        is_datetime(prod["prodinstefftime"].as_str().unwrap()),
        "{r}"
    );
    assert!(prod["prodinstexptime"].is_string(), "{r}");
    assert!(prod["prodid"].is_string() && prod["prodname"].is_string());
    assert!(prod.get("prodinsteffdate").is_none());

    // smsusedinfosingle (CMIOT_API2012): the count is `sms` (manual sample
    // {"sms":"3000"} in Java ou.com.resmed WlkDosageController).
    let r = v2(&env, "smsusedinfosingle", "0001000000036", &id).await;
    let sms = num(&r["result"][0]["sms"]);
    assert!(sms >= 0.0 && sms.fract() == 0.0, "{r}");

    // gprsrealtimeinfo (CMIOT_API2020): total in MB, used/left in KB; the
    // manual sample is total "70.0", used "13887", left "57793" (= 70×1024
    // − 13887), copied in Java WlkDosageController and PropertyCommons.
    let r = v2(&env, "gprsrealtimeinfo", "0001000000083", &id).await;
    let g = &r["result"][0]["gprs"][0];
    let total_kb = num(&g["total"]) * 1024.0;
    let used_plus_left = num(&g["used"]) + num(&g["left"]);
    assert!(
        (total_kb - used_plus_left).abs() < 0.02,
        "total MB × 1024 = used + left KB: {g}"
    );

    // gprsusedinfosinglebydate (CMIOT_API2300): the date is `queryDate`
    // (linxlib/cmiot_v2 cmiot_query.go); the older `query_date` still works.
    for name in ["queryDate", "query_date"] {
        let r = v2(
            &env,
            "gprsusedinfosinglebydate",
            "0001000000407",
            &[("msisdn", NORMAL_MSISDN), (name, "20261124")],
        )
        .await;
        assert_eq!(r["status"], "0", "{name}: {r}");
        num(&r["result"][0]["gprs"]);
    }
}

// ------------------------------------------------------------- v5 fields

#[tokio::test]
async fn balance_info_has_the_account_and_amount() {
    // /query/balance-info (CMIOT_API23B01): result[0].accountId, accountName,
    // amount (yuan) — zhangjie29net/amlink Esim7/IOT/IOTModel/ApiModels.cs.
    let env = Cmcc::start().await;
    let token = env.token().await;
    let b = env
        .ok(&token, "/query/balance-info", &[("msisdn", NORMAL_MSISDN)])
        .await;
    assert_eq!(b["amount"], "50.00", "{b}");
    assert!(!b["accountId"].as_str().unwrap().is_empty());
    assert!(!b["accountName"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn a_status_change_is_one_order_with_two_ids() {
    // /change/sim-status answers `orderNum` (Go mobile_sdk ChangeSimStatusRes)
    // polled with /query/order-info (CMIOT_API23M27, fields of
    // tc45a110/smoc_m CmccOrderInfoResponse: orderNum, status, statusDate,
    // createDate yyyyMMddHHmmss); /query/sim-batch-result takes `jobId`
    // (PHP NewChinaMobileAPI) or `orderNum` (IoTCard/IoTOS InquireEcV5.java).
    let env = Cmcc::start().await;
    let token = env.token().await;
    let r = env
        .ok(
            &token,
            "/change/sim-status",
            &[("msisdn", NORMAL_MSISDN), ("operType", "0")],
        )
        .await;
    assert_eq!(r["msisdn"], NORMAL_MSISDN);
    let order = r["orderNum"].as_str().unwrap().to_string();
    assert_eq!(r["jobId"], order.as_str());
    let info = env
        .ok(&token, "/query/order-info", &[("orderNum", &order)])
        .await;
    assert_eq!(info["orderNum"], order.as_str());
    assert_eq!(info["status"], "completed");
    for f in ["statusDate", "createDate"] {
        let d = info[f].as_str().unwrap();
        assert!(
            jiff::civil::DateTime::strptime("%Y%m%d%H%M%S", d).is_ok(),
            "{f}: {d}"
        );
    }
    for key in ["jobId", "orderNum"] {
        let job = env
            .ok(&token, "/query/sim-batch-result", &[(key, &order)])
            .await;
        assert_eq!(job["jobStatus"], "2", "{key}: {job}");
        assert_eq!(job["resultList"][0]["msisdn"], NORMAL_MSISDN);
    }
    assert_eq!(
        env.status(&token, "/query/order-info", &[("orderNum", "nope")])
            .await,
        "11000"
    );
    assert_eq!(env.status(&token, "/query/order-info", &[]).await, "11000");
}

#[tokio::test]
async fn real_name_and_session_carry_the_go_sdk_fields() {
    // Go mobile_sdk response types: sim-real-name-status has `reason` and
    // `successTime`; sim-session items have `ipv6` and `ipv6Prefix` (also
    // the Java com.xdm.business.domain.OnlineStateInfo class).
    let env = Cmcc::start().await;
    let token = env.token().await;
    let rn = env
        .ok(
            &token,
            "/query/sim-real-name-status",
            &[("msisdn", NORMAL_MSISDN)],
        )
        .await;
    assert!(rn["reason"].is_string(), "{rn}");
    let success = rn["successTime"].as_str().unwrap();
    if rn["realNameStatus"] == "1" {
        assert!(is_datetime(success), "{rn}");
    } else {
        assert_eq!(success, "");
    }
    let s = env
        .ok(&token, "/query/sim-session", &[("iccid", NORMAL_ICCID)])
        .await;
    let item = &s["simSessionList"][0];
    assert!(
        item["ipv6"].is_string() && item["ipv6Prefix"].is_string(),
        "{s}"
    );
}

// ------------------------------------------------------------- v5 calls

#[tokio::test]
async fn group_member_pages_through_the_group() {
    // /query/group-member (CMIOT_API23E01): groupId, pageSize ≤ 50, startNum
    // from 1; result[0].totalCount on every page and memberinfoList
    // [{memberNum}] — IoTCard/IoTOS InquireEcV5.java and SynEcV5MsisdnMQ.java.
    let env = Cmcc::start().await;
    let token = env.token().await;
    let p = "/query/group-member";
    let first = env
        .ok(
            &token,
            p,
            &[("groupId", POOL_ID), ("pageSize", "50"), ("startNum", "1")],
        )
        .await;
    let total: usize = first["totalCount"].as_str().unwrap().parse().unwrap();
    let all: Vec<String> = first["memberinfoList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["memberNum"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(all.len(), total);
    assert!(all.iter().any(|m| m == POOL_A), "{first}");

    // One member per page: the pages cover the same members, in order.
    let mut paged = Vec::new();
    for page in 1..=total + 1 {
        let n = page.to_string();
        let r = env
            .ok(
                &token,
                p,
                &[("groupId", POOL_ID), ("pageSize", "1"), ("startNum", &n)],
            )
            .await;
        assert_eq!(r["totalCount"], first["totalCount"]);
        for m in r["memberinfoList"].as_array().unwrap() {
            paged.push(m["memberNum"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(paged, all);

    // Removing a member shows in the list.
    env.call(
        &token,
        "/manage/group-managment",
        &[
            ("msisdn", POOL_A),
            ("groupId", POOL_ID),
            ("operType", "1"),
            ("effectType", "0"),
        ],
    )
    .await;
    let after = env.ok(&token, p, &[("groupId", POOL_ID)]).await;
    assert_eq!(after["totalCount"], (total - 1).to_string().as_str());

    // 12034 for a group that is not the enterprise's (cmcc.md §3), 11000 for
    // a page size over 50 or a page number that is not a positive integer.
    assert_eq!(
        env.status(&token, p, &[("groupId", "999999999999")]).await,
        "12034"
    );
    for bad in [("pageSize", "51"), ("startNum", "0"), ("pageSize", "x")] {
        assert_eq!(
            env.status(&token, p, &[("groupId", POOL_ID), bad]).await,
            "11000",
            "{bad:?}"
        );
    }
}

// ------------------------------------------------------------- v2 calls

#[tokio::test]
async fn v2_cardinfo_by_each_number_type() {
    // cardinfo (CMIOT_API2003, ebid …010): `card_info` + `type` 0 msisdn /
    // 1 imsi / 2 iccid; result[0] IMSI, MSISDN, ICCID in upper case
    // (linxlib/cmiot_v2 cmiot_query.go and cmiot_resp.go).
    let env = Cmcc::start().await;
    for (value, kind) in [
        (NORMAL_MSISDN, "0"),
        (NORMAL_IMSI, "1"),
        (NORMAL_ICCID, "2"),
    ] {
        let r = v2(
            &env,
            "cardinfo",
            "0001000000010",
            &[("card_info", value), ("type", kind)],
        )
        .await;
        let res = &r["result"][0];
        assert_eq!(res["MSISDN"], NORMAL_MSISDN, "{r}");
        assert_eq!(res["IMSI"], NORMAL_IMSI);
        assert_eq!(res["ICCID"], NORMAL_ICCID);
    }
    // A client bug seen in public code sends type=msisdn: an error, no panic.
    let r = v2(
        &env,
        "cardinfo",
        "0001000000010",
        &[("card_info", NORMAL_MSISDN), ("type", "msisdn")],
    )
    .await;
    assert_ne!(r["status"], "0");
    let r = v2(
        &env,
        "batchquerycardinfo",
        "0001000000928",
        &[("msisdns", &format!("{NORMAL_MSISDN}_{MANUAL_STOP}"))],
    )
    .await;
    assert_eq!(r["result"][0]["iccid"], NORMAL_ICCID, "{r}");
    assert_eq!(r["result"][1]["msisdn"], MANUAL_STOP);
}

#[tokio::test]
async fn v2_usage_by_date_for_the_last_seven_days() {
    // batchgprsusedbydate (2010, ebid …027) / batchsmsusedbydate (2009, …026):
    // msisdns joined by `_`, query_date yyyyMMdd within the last 7 days;
    // one item per card with GPRS (KB) or SMS and MSISDN (manual sample in
    // Java ou.com.resmed WlkDosageController). smsusedbydate (2014, …040):
    // result[0].sms (Java com.cmeb.util.CmebUtil reads `sms`).
    let env = Cmcc::start().await;
    env.sim
        .world()
        .use_data(LOW_BALANCE_ICCID, 10 * 1024 * 1024)
        .unwrap();
    env.sim.advance("1d").unwrap();
    let list = format!("{LOW_BALANCE}_{MANUAL_STOP}");
    let day = [("msisdns", list.as_str()), ("query_date", "20261124")];
    let r = v2(&env, "batchgprsusedbydate", "0001000000027", &day).await;
    let items = r["result"].as_array().unwrap();
    assert_eq!(items[0]["MSISDN"], LOW_BALANCE, "{r}");
    assert_eq!(items[0]["GPRS"], "10240.00");
    assert_eq!(items[1]["GPRS"], "0.00");
    let r = v2(&env, "batchsmsusedbydate", "0001000000026", &day).await;
    for item in r["result"].as_array().unwrap() {
        assert!(num(&item["SMS"]).fract() == 0.0, "{r}");
    }
    let r = v2(
        &env,
        "smsusedbydate",
        "0001000000040",
        &[("msisdn", LOW_BALANCE), ("query_date", "20261124")],
    )
    .await;
    assert!(num(&r["result"][0]["sms"]).fract() == 0.0, "{r}");
    // Today, more than 7 days back, or not yyyyMMdd: refused.
    for bad in ["20261125", "20261117", "2026-11-24", ""] {
        let r = v2(
            &env,
            "batchgprsusedbydate",
            "0001000000027",
            &[("msisdns", LOW_BALANCE), ("query_date", bad)],
        )
        .await;
        assert_eq!(r["status"], "11000", "{bad}: {r}");
    }
}

#[tokio::test]
async fn stop_restart_status_and_data_diagnosis() {
    // /query/sim-manage-stop-restart-status (CMIOT_API23M40):
    // manageStopRestartStatus, reason, manageStopRestartStatusTime (Go
    // mobile_sdk SimManageStopRestartStatusRes; smoc_m, IoTOS read the first
    // two). /query/sim-data-diagnosis: APNList.APNInfo[{APNName, modifyTime,
    // APNStatus, APNServiceUsageState}] (Go mobile_sdk SimDataDiagnosisRes).
    let env = Cmcc::start().await;
    let token = env.token().await;
    let s = env
        .ok(
            &token,
            "/query/sim-manage-stop-restart-status",
            &[("msisdn", MANUAL_STOP)],
        )
        .await;
    assert_eq!(
        s["manageStopRestartStatus"], "0",
        "an owner's stop is no freeze"
    );
    assert!(s["reason"].is_string() && s["manageStopRestartStatusTime"].is_string());
    let d = env
        .ok(
            &token,
            "/query/sim-data-diagnosis",
            &[("msisdn", NORMAL_MSISDN)],
        )
        .await;
    let apn = &d["APNList"]["APNInfo"][0];
    assert_eq!(apn["APNName"], "CMIOT", "{d}");
    assert_eq!(apn["APNStatus"], "1");
    assert_eq!(apn["APNServiceUsageState"], "1");
    assert!(is_datetime(apn["modifyTime"].as_str().unwrap()));
    // A speed limit (network-speed 93) and a stopped card show.
    env.ok(
        &token,
        "/operate/network-speed",
        &[
            ("msisdn", NORMAL_MSISDN),
            ("apnName", "CMIOT"),
            ("serviceUsageState", "93"),
        ],
    )
    .await;
    let d = env
        .ok(
            &token,
            "/query/sim-data-diagnosis",
            &[("msisdn", NORMAL_MSISDN)],
        )
        .await;
    assert_eq!(d["APNList"]["APNInfo"][0]["APNServiceUsageState"], "93");
    let d = env
        .ok(
            &token,
            "/query/sim-data-diagnosis",
            &[("msisdn", MANUAL_STOP)],
        )
        .await;
    assert_eq!(d["APNList"]["APNInfo"][0]["APNStatus"], "0");
}

// ------------------------------------------------ v2 service-open calls

#[tokio::test]
async fn v2_service_open_status_follows_the_switches() {
    // querysmsopenstatus / querygprsopenstatus / queryapnopenstatus /
    // useropenservice (CMIOT_API2102/2103/2104/2107, ebids …429/…430/…431/
    // …447): `issignsms`, `issigngprs`, [{status, apnname}], and `msisdn`,
    // `issignCall`, `issignGprs`, `issignSms`, `issignApn` — zhangjie29net/
    // amlink ApiModels.cs; its caller parses issign* as integers (> 0 = open)
    // and maps an APN `status` of "01" to open.
    let env = Cmcc::start().await;
    let id = [("msisdn", NORMAL_MSISDN)];
    let r = v2(&env, "querysmsopenstatus", "0001000000429", &id).await;
    assert_eq!(r["result"][0]["issignsms"], "1", "{r}");
    let r = v2(&env, "querygprsopenstatus", "0001000000430", &id).await;
    assert_eq!(r["result"][0]["issigngprs"], "1", "{r}");
    let r = v2(&env, "queryapnopenstatus", "0001000000431", &id).await;
    assert_eq!(r["result"][0]["status"], "01", "{r}");
    assert!(
        !r["result"][0]["apnname"].as_str().unwrap().is_empty(),
        "{r}"
    );
    let r = v2(&env, "useropenservice", "0001000000447", &id).await;
    let svc = &r["result"][0];
    assert_eq!(svc["msisdn"], NORMAL_MSISDN, "{r}");
    for k in ["issignCall", "issignGprs", "issignSms", "issignApn"] {
        assert_eq!(svc[k], "1", "{k}: {r}");
    }

    // A card whose data the customer cut: GPRS and its APN closed.
    let cut = [("msisdn", DATA_CUT)];
    let r = v2(&env, "querygprsopenstatus", "0001000000430", &cut).await;
    assert_eq!(r["result"][0]["issigngprs"], "0", "{r}");
    let r = v2(&env, "queryapnopenstatus", "0001000000431", &cut).await;
    assert_ne!(r["result"][0]["status"], "01", "{r}");

    // SMS switched off with the v5 call (operType 1 = off) shows in v2.
    let token = env.token().await;
    env.ok(
        &token,
        "/operate/sim-sms-function",
        &[("msisdn", NORMAL_MSISDN), ("operType", "1")],
    )
    .await;
    let r = v2(&env, "querysmsopenstatus", "0001000000429", &id).await;
    assert_eq!(r["result"][0]["issignsms"], "0", "{r}");
    let r = v2(&env, "useropenservice", "0001000000447", &id).await;
    assert_eq!(r["result"][0]["issignSms"], "0", "{r}");
    assert_eq!(r["result"][0]["issignCall"], "1", "{r}");
    // smsstatusreset (CMIOT_API4001, ebid …034): status "0" reset, "100"
    // refresh failed (the manual's two values, as a public Java client
    // reads them): a card that cannot take SMS is not reset.
    let r = v2(&env, "smsstatusreset", "0001000000034", &id).await;
    assert_eq!(r["result"][0]["status"], "100", "{r}");
    let other = [("msisdn", POOL_A)];
    let r = v2(&env, "smsstatusreset", "0001000000034", &other).await;
    assert_eq!(r["result"][0]["status"], "0", "{r}");
    let r = v2(
        &env,
        "smsstatusreset",
        "0001000000034",
        &[("msisdn", CANCELLED)],
    )
    .await;
    assert_eq!(r["result"][0]["status"], "100", "{r}");
}

#[tokio::test]
async fn v2_online_count_is_the_enterprises_cards_in_session() {
    // querygprsonlinecardcount (CMIOT_API2101, ebid …428): no card
    // parameter, result[0].gprstotalnum (amlink ApiModels.cs). The expected
    // count is read from the admin plane's card list.
    let env = Cmcc::start().await;
    let admin = crate::common::admin::Admin::new(&env.sim);
    let list = admin
        .get("/_sim/cards?account=cmcc-demo&carrier=cmcc&page_size=1000")
        .await;
    let online = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["online"] == true)
        .count();
    assert!(
        online > 0,
        "the default fleet has online CMCC cards: {list}"
    );
    let r = v2(&env, "querygprsonlinecardcount", "0001000000428", &[]).await;
    assert_eq!(r["status"], "0", "{r}");
    assert_eq!(
        r["result"][0]["gprstotalnum"],
        online.to_string().as_str(),
        "{r}"
    );
}

#[tokio::test]
async fn v2_batch_calls_take_the_list_under_the_singular_name() {
    // The PHP ChinaMobileAPI client sends batchquerycardinfo /
    // batchquerycardlifecycle with a singular `msisdn` holding the
    // `_`-joined list, where the manual says `msisdns`.
    let env = Cmcc::start().await;
    let list = format!("{TEST_READY}_{INVENTORY}");
    let r = v2(
        &env,
        "batchquerycardlifecycle",
        "0001000000929",
        &[("msisdn", &list)],
    )
    .await;
    assert_eq!(r["status"], "0", "{r}");
    assert_eq!(r["result"][0]["lifecycle"], "01", "{r}");
    assert_eq!(r["result"][1]["lifecycle"], "02", "{r}");
    let r = v2(
        &env,
        "batchquerycardinfo",
        "0001000000928",
        &[("msisdn", &list)],
    )
    .await;
    assert_eq!(r["result"].as_array().unwrap().len(), 2, "{r}");
    assert_eq!(r["result"][1]["msisdn"], INVENTORY, "{r}");
}

#[tokio::test]
async fn group_info_lists_the_enterprises_groups() {
    // /query/group-info (CMIOT_API23E06): pageSize ≤ 50, startNum from 1;
    // result[0].totalCount and groupList [{groupId, groupName, offeringId,
    // offeringName}] (IoTCard/IoTOS reads all four). The default fleet's CMCC
    // enterprise has one group, the pool of POOL_A; its offering is the one
    // group-by-member reports for a member.
    let env = Cmcc::start().await;
    let token = env.token().await;
    let r = env
        .ok(
            &token,
            "/query/group-info",
            &[("pageSize", "50"), ("startNum", "1")],
        )
        .await;
    assert_eq!(r["totalCount"], "1", "{r}");
    let g = &r["groupList"][0];
    assert_eq!(g["groupId"], POOL_ID, "{r}");
    assert_eq!(g["groupName"], "CMCC 演示流量池", "{r}");
    let by_member = env
        .ok(&token, "/query/group-by-member", &[("msisdn", POOL_A)])
        .await;
    assert_eq!(
        g["offeringId"], by_member["groupList"][0]["offeringId"],
        "{r}"
    );
    assert!(!g["offeringName"].as_str().unwrap().is_empty(), "{r}");
    let past = env
        .ok(
            &token,
            "/query/group-info",
            &[("pageSize", "50"), ("startNum", "2")],
        )
        .await;
    assert_eq!(past["totalCount"], "1");
    assert_eq!(past["groupList"].as_array().unwrap().len(), 0, "{past}");
    assert_eq!(
        env.status(&token, "/query/group-info", &[("pageSize", "51")])
            .await,
        "11000"
    );
}
