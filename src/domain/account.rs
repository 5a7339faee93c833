//! Enterprise (customer) accounts and their per-dialect credentials. The
//! credential keys are the carriers' own parameter names; this JSON shape is
//! a public contract (`GET /_sim/accounts`).

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use super::money::Fen;
use super::Carrier;

/// Credentials per dialect, named as the carrier names its parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// CMCC OneLink `appid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// CMCC application password / CTCC portal password / CUCC Control
    /// Center login password (the SOAP API's WS-Security password).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// CUCC Control Center user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// CUCC REST API key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// CUCC Jasper SOAP API `licenseKey` (sent in the body of every SOAP
    /// request; the SOAP WS-Security password is `password`, else `api_key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_key: Option<String>,
    /// CUCC CMP gateway `app_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// CUCC CMP gateway app secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_secret: Option<String>,
    /// CUCC CMP `openId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_id: Option<String>,
    /// CTCC m2m_ec `user_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// CTCC 9-character interface key (split 3/3/3 for DES).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// CTCC 5G CMP `AppKey`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_key: Option<String>,
    /// CTCC 5G CMP secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// SMPP ESME login of this account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smpp: Option<SmppCredentials>,
}

/// SMPP ESME credentials and the short codes the ESME may use.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmppCredentials {
    pub system_id: String,
    pub password: String,
    #[serde(default)]
    pub short_codes: Vec<String>,
}

/// An enterprise customer of one carrier.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: CompactString,
    pub name: String,
    pub carrier: Carrier,
    pub credentials: Credentials,
    /// Account-level balance (fen), if the carrier keeps one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance_fen: Option<Fen>,
    /// Carrier-side customer number (CUCC accountId, CTCC custId).
    #[serde(default)]
    pub customer_no: String,
}
