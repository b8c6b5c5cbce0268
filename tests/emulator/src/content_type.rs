//! The five content types of the Management Activity API.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ContentType {
    #[serde(rename = "Audit.AzureActiveDirectory")]
    AzureActiveDirectory,
    #[serde(rename = "Audit.Exchange")]
    Exchange,
    #[serde(rename = "Audit.SharePoint")]
    SharePoint,
    /// Every other workload, Power Platform included.
    #[serde(rename = "Audit.General")]
    General,
    #[serde(rename = "DLP.All")]
    DlpAll,
}

impl ContentType {
    pub const ALL: [ContentType; 5] = [
        ContentType::AzureActiveDirectory,
        ContentType::Exchange,
        ContentType::SharePoint,
        ContentType::General,
        ContentType::DlpAll,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ContentType::AzureActiveDirectory => "Audit.AzureActiveDirectory",
            ContentType::Exchange => "Audit.Exchange",
            ContentType::SharePoint => "Audit.SharePoint",
            ContentType::General => "Audit.General",
            ContentType::DlpAll => "DLP.All",
        }
    }

    /// The short workload tag Microsoft embeds in content ids (`...spo2015043022$...`).
    pub(crate) fn id_tag(self) -> &'static str {
        match self {
            ContentType::AzureActiveDirectory => "aad",
            ContentType::Exchange => "exo",
            ContentType::SharePoint => "spo",
            ContentType::General => "gen",
            ContentType::DlpAll => "dlp",
        }
    }

    /// A small stable number, used to derive per-type RNG streams.
    pub(crate) fn ordinal(self) -> u64 {
        match self {
            ContentType::AzureActiveDirectory => 0,
            ContentType::Exchange => 1,
            ContentType::SharePoint => 2,
            ContentType::General => 3,
            ContentType::DlpAll => 4,
        }
    }
}

impl fmt::Display for ContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown content type {0:?}")]
pub struct UnknownContentType(pub String);

impl FromStr for ContentType {
    type Err = UnknownContentType;

    /// Exact, case-sensitive names: the emulator is deliberately strict so a
    /// client that sends `audit.general` finds out here rather than in production.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ContentType::ALL
            .into_iter()
            .find(|ct| ct.as_str() == s)
            .ok_or_else(|| UnknownContentType(s.to_string()))
    }
}
