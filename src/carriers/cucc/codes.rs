//! The CUCC code tables, all in one place: REST error codes (HTTP status,
//! `errorCode` string, standard message), the Jasper status names with their
//! CMP numeric codes and the neutral states they render, the mapping of
//! domain refusals to messages and CMP `resultCode`s, and the CMP gateway's
//! envelope codes. `docs/cucc.md` gives the public source of each REST
//! code and marks the ones that remain the simulator's own guesses.

use axum::http::StatusCode;

use crate::domain::lifecycle::DomainError;
use crate::domain::CardState;

/// A REST error kind; `ERRORS` gives its status, code and message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// No `Authorization` header (Spring-style message).
    AuthRequired,
    /// Wrong user name or API key (confirmed code `10000001`).
    InvalidCredentials,
    /// Bad parameter, bad ICCID, bad date, bad JSON, unknown field.
    InvalidParam,
    /// Wrong API version or unknown request.
    InvalidRequest,
    /// ICCID unknown or not in the caller's account, unknown SMS id.
    NotFound,
    /// A refused status change or other business rule.
    BusinessRule,
    /// A status change back to a pre-activation state (TEST_READY,
    /// ACTIVATION_READY, INVENTORY) that the card may not make.
    PreActivation,
    /// The caller's rate limit is exhausted.
    RateLimited,
    /// The platform is overloaded (chosen code).
    Busy,
    /// Request body over the limit.
    BodyTooLarge,
    /// HTTP method not served on this path.
    MethodNotAllowed,
    /// Anything that should not happen.
    Internal,
}

/// `(kind, HTTP status, errorCode, standard errorMessage)`.
pub const ERRORS: &[(ErrorKind, u16, &str, &str)] = &[
    (
        ErrorKind::AuthRequired,
        401,
        "10000002",
        "Full authentication is required to access this resource",
    ),
    (
        ErrorKind::InvalidCredentials,
        401,
        "10000001",
        "Invalid credentials",
    ),
    (
        ErrorKind::InvalidParam,
        400,
        "10000003",
        "Invalid parameter",
    ),
    (
        ErrorKind::InvalidRequest,
        400,
        "10000024",
        "Invalid request",
    ),
    (ErrorKind::NotFound, 404, "20000001", "Resource not found"),
    (
        ErrorKind::BusinessRule,
        400,
        "30000001",
        "Request violates a business rule",
    ),
    (
        ErrorKind::PreActivation,
        400,
        "10000029",
        "This SIM may not be moved back to a Pre Activation status",
    ),
    (
        ErrorKind::RateLimited,
        429,
        "40000029",
        "Rate limit exceeded",
    ),
    (
        ErrorKind::Busy,
        500,
        "10000028",
        "System busy, please try again later",
    ),
    (
        ErrorKind::BodyTooLarge,
        413,
        "10000005",
        "Request body too large",
    ),
    (
        ErrorKind::MethodNotAllowed,
        405,
        "10000006",
        "Request method not supported",
    ),
    (ErrorKind::Internal, 500, "90000001", "Server error"),
];

impl ErrorKind {
    fn row(self) -> &'static (ErrorKind, u16, &'static str, &'static str) {
        ERRORS
            .iter()
            .find(|r| r.0 == self)
            .expect("every error kind has a row")
    }

    pub fn status(self) -> StatusCode {
        StatusCode::from_u16(self.row().1).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn code(self) -> &'static str {
        self.row().2
    }

    pub fn message(self) -> &'static str {
        self.row().3
    }
}

/// The eight Jasper SIM statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jasper {
    TestReady,
    ActivationReady,
    Activated,
    Deactivated,
    Retired,
    Purged,
    Replaced,
    Inventory,
}

/// `(status, wire name, CMP numeric code, Chinese label)`; the CMP codes are
/// the `cucc-cmp` package's (spec §4).
pub const JASPER: [(Jasper, &str, &str, &str); 8] = [
    (Jasper::TestReady, "TEST_READY", "0", "可测试"),
    (Jasper::ActivationReady, "ACTIVATION_READY", "1", "可激活"),
    (Jasper::Activated, "ACTIVATED", "2", "已激活"),
    (Jasper::Deactivated, "DEACTIVATED", "3", "已停用"),
    (Jasper::Retired, "RETIRED", "4", "已失效"),
    (Jasper::Purged, "PURGED", "5", "已清除"),
    (Jasper::Replaced, "REPLACED", "6", "已更换"),
    (Jasper::Inventory, "INVENTORY", "7", "库存"),
];

/// How each neutral state renders (reasons do not change the status: any
/// suspended card is `DEACTIVATED`; an expired card in its keep-number
/// months is `RETIRED`, a cancelled one `PURGED`).
pub const STATE_TO_JASPER: [(CardState, Jasper); 7] = [
    (CardState::Inventory, Jasper::Inventory),
    (CardState::TestReady, Jasper::TestReady),
    (CardState::ActivationReady, Jasper::ActivationReady),
    (CardState::Active, Jasper::Activated),
    (CardState::Suspended, Jasper::Deactivated),
    (CardState::PreCancel, Jasper::Retired),
    (CardState::Cancelled, Jasper::Purged),
];

impl Jasper {
    pub fn name(self) -> &'static str {
        JASPER.iter().find(|r| r.0 == self).map_or("", |r| r.1)
    }

    pub fn cmp_code(self) -> &'static str {
        JASPER.iter().find(|r| r.0 == self).map_or("", |r| r.2)
    }

    pub fn parse(name: &str) -> Option<Jasper> {
        JASPER.iter().find(|r| r.1 == name).map(|r| r.0)
    }

    pub fn from_cmp(code: &str) -> Option<Jasper> {
        JASPER.iter().find(|r| r.2 == code).map(|r| r.0)
    }

    pub fn of(state: CardState) -> Jasper {
        STATE_TO_JASPER
            .iter()
            .find(|r| r.0 == state)
            .map_or(Jasper::Inventory, |r| r.1)
    }
}

/// `overageLimitOverride` as the CMP gateway writes it: `(REST value, CMP
/// code)`. The public sample shows `"0"` for a card left at the default;
/// `1` and `2` for the two overrides follow the REST order (guessed).
pub const CMP_OVERRIDES: [(&str, &str); 3] = [
    ("DEFAULT", "0"),
    ("TEMPORARY_OVERRIDE", "1"),
    ("PERMANENT_OVERRIDE", "2"),
];

/// The CMP code of a card's `overageLimitOverride` (unset = `DEFAULT`).
pub fn cmp_override(rest: Option<&str>) -> &'static str {
    let rest = rest.unwrap_or("DEFAULT");
    CMP_OVERRIDES
        .iter()
        .find(|r| r.0 == rest)
        .map_or("0", |r| r.1)
}

/// Whether a Jasper status name is a pre-activation state.
pub fn is_pre_activation(name: &str) -> bool {
    matches!(name, "TEST_READY" | "ACTIVATION_READY" | "INVENTORY")
}

/// The REST message for a refused status change.
pub fn refusal_message(e: &DomainError) -> String {
    let why = match e {
        DomainError::Cancelled => "the SIM is purged".to_string(),
        DomainError::Expired => "the rate plan has expired (SIM is RETIRED)".to_string(),
        DomainError::OverQuota => "the SIM is over its data allowance".to_string(),
        DomainError::Arrears => "the account is in arrears".to_string(),
        DomainError::AlreadyStopped => "the SIM is already DEACTIVATED".to_string(),
        DomainError::NotSuspended => "the SIM is not DEACTIVATED".to_string(),
        DomainError::NotSelfStopped => {
            "the SIM was deactivated by the operator and cannot be activated by the customer"
                .to_string()
        }
        DomainError::NotActive => "the SIM is not ACTIVATED".to_string(),
        DomainError::InvalidTransition { from, to } => format!("{from} to {to} is not allowed"),
        other => other.to_string(),
    };
    format!("Invalid status change: {why}")
}

/// CMP `resultCode`/`resultDesc` for a refused change (`1104` is the spec's
/// example; the others are chosen).
pub fn cmp_refusal(e: &DomainError) -> (&'static str, &'static str) {
    match e {
        DomainError::Cancelled => ("1101", "卡已销户，不能变更状态"),
        DomainError::Expired => ("1102", "套餐已过期，不能变更状态"),
        DomainError::Arrears => ("1103", "账户欠费，不能变更状态"),
        DomainError::InvalidTransition { to, .. } if is_pre_activation(to) => {
            ("1104", "账户阻止状态变更为预激活状态")
        }
        DomainError::OverQuota => ("1105", "超出流量限额，不能变更状态"),
        _ => ("1106", "当前状态不允许该变更"),
    }
}

/// CMP gateway envelope `status` codes (chosen, except the success codes).
pub mod cmp {
    /// Success of the real-name API family.
    pub const OK_REALNAME: &str = "0";
    /// Success of the wsXxx terminal API family.
    pub const OK_WS: &str = "0000";
    /// Body is not a JSON envelope, or a field is missing / of the wrong type.
    pub const BAD_REQUEST: (&str, &str) = ("1001", "请求参数错误");
    /// `app_id` unknown.
    pub const BAD_APP: (&str, &str) = ("1002", "app_id不存在");
    /// `token` does not match the SM3 digest.
    pub const BAD_TOKEN: (&str, &str) = ("1003", "token校验失败");
    /// `timestamp` not 17 digits or `trans_id` not 23 digits.
    pub const BAD_TIME: (&str, &str) = ("1004", "timestamp或trans_id格式错误");
    /// Unknown API path.
    pub const NO_API: (&str, &str) = ("1005", "接口不存在");

    /// Business `resultCode`s inside `data` (chosen).
    pub const RESULT_OK: (&str, &str) = ("0000", "成功");
    pub const RESULT_BAD_OPENID: (&str, &str) = ("1010", "openId无效");
    pub const RESULT_NO_CARD: (&str, &str) = ("1011", "ICCID不存在或不属于该账户");
    pub const RESULT_BAD_PARAM: (&str, &str) = ("1012", "参数错误");
    pub const RESULT_BAD_CHANGE_TYPE: (&str, &str) = ("1013", "不支持的changeType");
    /// `rspcode` of realNameStatusQuery.
    pub const RSP_OK: &str = "0000";
    pub const RSP_NO_CARD: &str = "1011";
}

/// The tables of `docs/cucc.md` (REST error codes, the Jasper status map
/// with its CMP codes, overrides, CMP refusal codes), written out by hand:
/// a row changed in the code and not in the documentation fails here.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_errors_as_documented() {
        let rows = [
            (
                ErrorKind::AuthRequired,
                401,
                "10000002",
                "Full authentication is required to access this resource",
            ),
            (
                ErrorKind::InvalidCredentials,
                401,
                "10000001",
                "Invalid credentials",
            ),
            (
                ErrorKind::InvalidParam,
                400,
                "10000003",
                "Invalid parameter",
            ),
            (
                ErrorKind::InvalidRequest,
                400,
                "10000024",
                "Invalid request",
            ),
            (ErrorKind::NotFound, 404, "20000001", "Resource not found"),
            (
                ErrorKind::BusinessRule,
                400,
                "30000001",
                "Request violates a business rule",
            ),
            (
                ErrorKind::PreActivation,
                400,
                "10000029",
                "This SIM may not be moved back to a Pre Activation status",
            ),
            (
                ErrorKind::RateLimited,
                429,
                "40000029",
                "Rate limit exceeded",
            ),
            (
                ErrorKind::Busy,
                500,
                "10000028",
                "System busy, please try again later",
            ),
            (
                ErrorKind::BodyTooLarge,
                413,
                "10000005",
                "Request body too large",
            ),
            (
                ErrorKind::MethodNotAllowed,
                405,
                "10000006",
                "Request method not supported",
            ),
            (ErrorKind::Internal, 500, "90000001", "Server error"),
        ];
        for (kind, status, code, message) in rows {
            assert_eq!(kind.status().as_u16(), status, "{kind:?}");
            assert_eq!((kind.code(), kind.message()), (code, message), "{kind:?}");
        }
    }

    #[test]
    fn jasper_statuses_as_documented() {
        // (neutral state, Jasper name, CMP code)
        let rows = [
            (CardState::TestReady, "TEST_READY", "0"),
            (CardState::ActivationReady, "ACTIVATION_READY", "1"),
            (CardState::Active, "ACTIVATED", "2"),
            (CardState::Suspended, "DEACTIVATED", "3"),
            (CardState::PreCancel, "RETIRED", "4"),
            (CardState::Cancelled, "PURGED", "5"),
            (CardState::Inventory, "INVENTORY", "7"),
        ];
        for (state, name, cmp) in rows {
            let j = Jasper::of(state);
            assert_eq!((j.name(), j.cmp_code()), (name, cmp), "{state:?}");
            assert_eq!(Jasper::parse(name), Some(j));
            assert_eq!(Jasper::from_cmp(cmp), Some(j));
        }
        // No SIM swap in the simulator, but the name and code exist.
        assert_eq!(Jasper::parse("REPLACED"), Some(Jasper::Replaced));
        assert_eq!(Jasper::Replaced.cmp_code(), "6");
        assert_eq!(Jasper::parse("activated"), None);
        assert_eq!(Jasper::from_cmp("8"), None);
        for name in ["TEST_READY", "ACTIVATION_READY", "INVENTORY"] {
            assert!(is_pre_activation(name), "{name}");
        }
        for name in ["ACTIVATED", "DEACTIVATED", "RETIRED", "PURGED", ""] {
            assert!(!is_pre_activation(name), "{name}");
        }
    }

    #[test]
    fn overrides_and_refusals_as_documented() {
        for (rest, cmp) in [
            (None, "0"),
            (Some("DEFAULT"), "0"),
            (Some("TEMPORARY_OVERRIDE"), "1"),
            (Some("PERMANENT_OVERRIDE"), "2"),
        ] {
            assert_eq!(cmp_override(rest), cmp, "{rest:?}");
        }
        let pre = DomainError::InvalidTransition {
            from: "ACTIVATED",
            to: "INVENTORY",
        };
        let other = DomainError::InvalidTransition {
            from: "RETIRED",
            to: "ACTIVATED",
        };
        let rows = [
            (DomainError::Cancelled, "1101"),
            (DomainError::Expired, "1102"),
            (DomainError::Arrears, "1103"),
            (pre.clone(), "1104"),
            (DomainError::OverQuota, "1105"),
            (other.clone(), "1106"),
            (DomainError::NotSelfStopped, "1106"),
        ];
        for (e, code) in rows {
            assert_eq!(cmp_refusal(&e).0, code, "{e:?}");
        }
        assert_eq!(cmp_refusal(&pre).1, "账户阻止状态变更为预激活状态");
        // REST: "Invalid status change: <why>" (the table of docs/cucc.md).
        let texts = [
            (DomainError::Cancelled, "the SIM is purged"),
            (
                DomainError::Expired,
                "the rate plan has expired (SIM is RETIRED)",
            ),
            (DomainError::OverQuota, "the SIM is over its data allowance"),
            (DomainError::Arrears, "the account is in arrears"),
            (
                DomainError::AlreadyStopped,
                "the SIM is already DEACTIVATED",
            ),
            (DomainError::NotSuspended, "the SIM is not DEACTIVATED"),
            (
                DomainError::NotSelfStopped,
                "the SIM was deactivated by the operator and cannot be activated by the customer",
            ),
            (DomainError::NotActive, "the SIM is not ACTIVATED"),
            (other, "RETIRED to ACTIVATED is not allowed"),
        ];
        for (e, why) in texts {
            assert_eq!(
                refusal_message(&e),
                format!("Invalid status change: {why}"),
                "{e:?}"
            );
        }
    }
}
