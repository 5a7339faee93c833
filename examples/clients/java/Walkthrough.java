// carrier-sim from Java 17 (java.net.http, no libraries): for each carrier,
// authenticate, query a card's usage, stop and resume it, move the simulated
// clock two days, and check that the card was stopped for going over quota.
//
//   java examples/clients/java/Walkthrough.java http://127.0.0.1:8080 [ADMIN_TOKEN]
//
// Throws (non-zero exit) when an answer changes shape. Without a JSON library
// the few fields read are picked out with a pattern.
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

public class Walkthrough {
    static String base;
    static String token;
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static int seq = 0;

    static String send(String method, String path, Map<String, String> query, String body, String... headers)
            throws Exception {
        String q = query == null || query.isEmpty() ? "" : "?" + query.entrySet().stream()
                .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(base + path + q)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) rb.headers(headers);
        HttpResponse<String> r = HTTP.send(rb.build(), HttpResponse.BodyHandlers.ofString());
        check(r.statusCode() / 100 == 2, method + " " + path + ": " + r.statusCode() + " " + r.body());
        return r.body();
    }

    static String admin(String method, String path, String body) throws Exception {
        List<String> h = new ArrayList<>(List.of("Content-Type", "application/json"));
        if (token != null) h.addAll(List.of("Authorization", "Bearer " + token));
        return send(method, path, null, body, h.toArray(String[]::new));
    }

    /** The first string or number value of `field` in a JSON text. */
    static String field(String json, String field) {
        var m = Pattern.compile("\"" + field + "\"\\s*:\\s*\"?([^\",}\\]]*)").matcher(json);
        check(m.find(), "no " + field + " in " + json);
        return m.group(1);
    }

    static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError(what);
    }

    static String stamp() {
        return ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMddHHmmss"));
    }

    // China Mobile OneLink v5: a token from /get/token, then transid + token.
    static String cmcc(String path, Map<String, String> params) throws Exception {
        Map<String, String> q = new TreeMap<>(params);
        q.put("transid", "100001" + stamp() + String.format("%08d", ++seq));
        String answer = send("GET", "/v5/ec" + path, q, null);
        check(field(answer, "status").equals("0"), answer);
        return answer;
    }

    static void cmcc(String iccid) throws Exception {
        String tok = field(cmcc("/get/token", Map.of("appid", "100001", "password", "cmcc-demo-pass")), "token");
        System.out.println("cmcc usage (KB): "
                + field(cmcc("/query/sim-data-usage", Map.of("token", tok, "iccid", iccid)), "dataAmount"));
        cmcc("/change/sim-status", Map.of("token", tok, "iccid", iccid, "operType", "0")); // stop
        check(field(cmcc("/query/sim-status", Map.of("token", tok, "iccid", iccid)), "cardStatus").equals("4"), "stopped");
        cmcc("/change/sim-status", Map.of("token", tok, "iccid", iccid, "operType", "1")); // resume
        check(field(cmcc("/query/sim-status", Map.of("token", tok, "iccid", iccid)), "cardStatus").equals("2"), "resumed");
    }

    // China Unicom Jasper REST: HTTP Basic with the REST API key.
    static void cucc(String iccid) throws Exception {
        String[] h = {"Authorization", "Basic " + Base64.getEncoder().encodeToString(
                "cucc-demo:2f1c9a1e-6b0e-4c3a-9d55-7a1b2c3d4e5f".getBytes(StandardCharsets.UTF_8)),
                "Accept", "application/json", "Content-Type", "application/json"};
        String device = "/rws/api/v1/devices/" + iccid;
        System.out.println("cucc usage (bytes): " + field(send("GET", device + "/ctdUsages", null, null, h), "ctdDataUsage"));
        for (String status : List.of("DEACTIVATED", "ACTIVATED")) { // stop, then resume
            check(field(send("PUT", device, null, "{\"status\":\"" + status + "\"}", h), "iccid").equals(iccid), "edited");
            check(field(send("GET", device, null, null, h), "status").equals(status), status);
        }
    }

    // China Telecom 5G CMP: AppKey, Timestamp, Sign = upper hex of the MD5 hex.
    static String ctcc(String method, String path, Map<String, String> query, String body) throws Exception {
        String ts = stamp();
        String params = new TreeMap<>(query).entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("&"));
        byte[] md5 = MessageDigest.getInstance("MD5")
                .digest((params + (body == null ? "" : body) + "testsecret" + ts).getBytes(StandardCharsets.UTF_8));
        String sign = HexFormat.of().withUpperCase().formatHex(HexFormat.of().formatHex(md5).getBytes(StandardCharsets.US_ASCII));
        return send(method, path, query, body, "AppKey", "ctcc-5g-demo", "Timestamp", ts, "Sign", sign,
                "Content-Type", "application/json");
    }

    static void ctcc(String number) throws Exception {
        String flow = ctcc("POST", "/api/v1/batchQry/batchQryFlowByMonth", Map.of(), "{\"accessNumber\":[\"" + number + "\"]}");
        check(field(flow, "code").equals("0"), flow);
        System.out.println("ctcc usage (MB): " + field(flow, "flowAmount"));
        for (String order : List.of("19", "20")) { // 19 stop keeping the number, 20 resume
            String xml = ctcc("GET", "/5gcmp/openapi/v1/common/disabledNumberService",
                    Map.of("access_number", number, "acctCd", "", "orderTypeId", order), null);
            check(xml.contains("<result>0</result>"), xml);
        }
        String status = ctcc("GET", "/openapi/v1/prodinst/queryCardMainStatus", Map.of("access_number", number), null);
        check(field(status, "productMainStatusCd").equals("4"), status); // 在用
    }

    public static void main(String[] args) throws Exception {
        base = args.length > 0 ? args[0].replaceAll("/$", "") : "http://127.0.0.1:8080";
        token = args.length > 1 ? args[1] : null;
        admin("POST", "/_sim/reset", "{}");
        Map<String, String> iccids = new TreeMap<>();
        for (String c : List.of("cmcc", "cucc", "ctcc")) {
            String card = admin("GET", "/_sim/cards?carrier=" + c + "&tag=near-quota", null);
            iccids.put(c, field(card, "iccid"));
            if (c.equals("cmcc")) cmcc(field(card, "iccid"));
            if (c.equals("cucc")) cucc(field(card, "iccid"));
            if (c.equals("ctcc")) ctcc(field(card, "msisdn"));
        }
        // Two simulated days: each near-quota card burns past its allowance.
        admin("POST", "/_sim/clock", "{\"advance\":\"2d\"}");
        for (var e : iccids.entrySet()) {
            String after = admin("GET", "/_sim/cards/" + e.getValue(), null);
            check(field(after, "state").equals("suspended") && after.contains("\"over_quota\""), after);
            System.out.println(e.getKey() + " " + e.getValue() + " stopped: over_quota");
        }
        System.out.println("ok");
    }
}
